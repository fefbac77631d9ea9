"""One language per page: Dutch or English, chosen by ``?lang=``, a cookie, or Accept-Language.

Every word a page shows around the data comes from ``WORDS`` in the page's language, so a Dutch
page has no English words in it (and the other way round); data labels are picked in the same
language by the page builders. ``?lang=en`` sets a cookie, so the switch in the header sticks.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, g, request
from markupsafe import Markup

from kdgraph.pages.documents import marked
from kdgraph.web.negotiation import vary_on

LANGUAGES = ("nl", "en")
COOKIE = "kdgraph-lang"

blueprint = Blueprint("page_language", __name__)

WORDS: dict[str, tuple[str, str]] = {  # key: (nl, en)
    "site": ("Kennisgraaf kwalificatiedossiers mbo", "Knowledge graph of MBO qualification dossiers"),
    "dossier": ("Dossier", "Dossier"),
    "search": ("Zoeken", "Search"),
    "search_placeholder": ("Zoek in namen en teksten", "Search labels and texts"),
    "query_ui": ("SPARQL", "SPARQL"),
    "saved_queries": ("Opgeslagen vragen", "Saved queries"),
    "dataset": ("Dataset", "Dataset"),
    "ontology": ("Ontologie", "Ontology"),
    "other_language": ("English", "Nederlands"),
    "switch_language": ("Switch to English", "Naar het Nederlands"),
    "type": ("soort", "type"),
    "properties": ("Eigenschappen", "Properties"),
    "property": ("eigenschap", "property"),
    "value": ("waarde", "value"),
    "source": ("bron", "source"),
    "sources": ("In de bron", "In the source"),  # where the resource is named; each row cites its own
    "incoming": ("Verwijzingen hierheen", "Links to this resource"),
    "from": ("van", "from"),
    "via": ("via eigenschap", "via property"),
    "formats": ("Voor machines", "For machines"),
    "reproduce": ("SPARQL-vraag die deze pagina oplevert", "SPARQL query that reproduces this page"),
    "routes": ("Ontwikkelmogelijkheden", "Progression routes"),
    "terms": ("Termen", "Terms"),
    "definition": ("definitie", "definition"),
    "term": ("term", "term"),
    "section": ("sectie", "section"),
    "page": ("pagina", "page"),
    "front_matter": ("voorwerk", "front matter"),
    "interpretation": ("interpretatie", "interpretation"),
    "outside_source": ("externe bron", "outside source"),
    "not_found": ("Niet gevonden", "Not found"),
    "not_found_text": ("Er is geen resource op", "There is no resource at"),
    "did_you_mean": ("Bedoelde u", "Did you mean"),
    "crebo_editions": (
        "Crebocode {code} in meerdere dossieredities",
        "Crebo code {code} in several dossier editions",
    ),
    "crebo_editions_text": (
        "SBB houdt een crebocode over edities van een dossier heen; elke editie heeft haar eigen URI.",
        "SBB keeps a crebo code across editions of a dossier; each edition has its own URI.",
    ),
    "crebo_valid_from": ("geldig vanaf", "valid from"),
    "crebo_intake_ends": ("instroom tot", "intake until"),
    "not_applicable": ("Niet van toepassing (n.v.t.)", "Not applicable (n.v.t.)"),
    "stated_as": ("in de bron", "in the source"),
    "qualifications": ("Kwalificaties", "Qualifications"),
    "mbo_level": ("mbo-niveau", "MBO level"),
    "nlqf_level": ("NLQF", "NLQF"),
    "eqf_level": ("EQF", "EQF"),
    "valid_from": ("Geldig vanaf", "Valid from"),
    "lead": ("Penvoerder", "Lead organisation"),
    "validated_by": ("Gevalideerd door", "Validated by"),
    "validated_on": ("Gevalideerd op", "Validated on"),
    "contents": ("Inhoud", "Contents"),
    "skill": ("vaardigheid", "skill"),
    "level": ("niveau", "level"),
    "level_source": ("bron van de niveaus", "source of the levels"),
    "reason_above": ("reden hierboven", "reason given above"),
    "conflicts": ("Tegenstrijdige uitspraken", "Conflicting statements"),
    "conflict_note": (
        "De bron noemt voor dezelfde vaardigheid verschillende niveaus; die staan hier naast elkaar.",
        "The source gives different levels for the same skill; both statements are shown side by side.",
    ),
    "covers": ("Generieke en beroepsspecifieke eis", "Generic and profession-specific requirement"),
    "covers_note": (
        "De generieke eis van het examen (het eerste niveau) omvat de beroepsspecifieke eis voor dezelfde "
        "vaardigheid: twee soorten eis, geen tegenspraak. Dat verband is een lezing:",
        "The generic requirement of the exam (the first level) covers the profession-specific requirement "
        "for the same skill: two kinds of requirement, not a conflict. That link is a reading:",
    ),
    "justifies": ("onderbouwt het niveau van de tabel", "justifies the table's level"),
    "statements": ("Uitspraken", "Statements"),
    "theme": ("thema", "theme"),
    "technologies": ("Technologieën", "Technologies"),
    "horizon": ("horizon", "horizon"),
    "years": ("jaar", "years"),
    "subject": ("Onderwerp", "Subject"),
    "action": ("Actie", "Action"),
    "who": ("Wie", "Who"),
    "when": ("Wanneer", "When"),
    "no_date": ("geen datum in de bron", "no date in the source"),
    "stakeholders": ("Betrokkenen", "Stakeholders"),
    "role": ("rol", "role"),
    "organisation": ("organisatie", "organisation"),
    "condition": ("voorwaarde", "condition"),
    "context": ("context", "context"),
    "route_list": ("Alle routes", "All routes"),
    "training_provider": ("opleiding via", "training by"),
    "duration": ("verblijfsduur", "study duration"),
    "reason": ("reden", "reason"),
    "note": ("noot", "note"),
    "results": ("resultaten", "results"),
    "no_results": ("Niets gevonden voor", "Nothing found for"),
    "ranking": (
        "Gevonden worden ook andere vormen van een woord (lassen, las) en samenstellingen ermee "
        "(lascoördinator). Volgorde: eerst namen gelijk aan de zoekterm, dan namen die ermee beginnen, dan "
        "namen met het woord erin, dan teksten met het woord erin; binnen elke groep op alfabet, en "
        "gegroepeerd naar soort. Bijna gelijke resultaten staan samen. Gezocht wordt in Nederlandse en "
        "Engelse namen en teksten, zonder onderscheid tussen hoofd- en kleine letters of accenten.",
        "Other forms of a word (lassen, las) and compounds with it (lascoördinator) are found "
        "too. Order: exact label matches first, then labels starting with the search term, then labels "
        "containing the word, then texts containing the word; alphabetical within each, grouped by kind. "
        "Near-identical results are shown together. Dutch and English labels and texts are searched, "
        "ignoring case and accents.",
    ),
    "match_exact": ("naam gelijk", "exact label"),
    "match_prefix": ("naam begint zo", "label prefix"),
    "match_label": ("woord in naam", "word in label"),
    "match_text": ("woord in tekst", "word in text"),
    "home": ("Start", "Home"),
    "description": ("Beschrijving", "Description"),
    "licence": ("Licentie", "Licence"),
    "version": ("Versie", "Version"),
    "triples": ("tripels", "triples"),
    "entities": ("entiteiten", "entities"),
    "classes": ("Klassen", "Classes"),
    "class": ("klasse", "class"),
    "count": ("aantal", "count"),
    "counts": ("Aantallen", "Counts"),
    "status": ("status", "status"),
    "page_size": ("Rijen per pagina", "Rows per page"),
    "downloads": ("Downloads", "Downloads"),
    "endpoint": ("SPARQL-endpoint", "SPARQL endpoint"),
    "examples": ("Voorbeelden", "Examples"),
    "object_properties": ("Objecteigenschappen", "Object properties"),
    "datatype_properties": ("Gegevenseigenschappen", "Datatype properties"),
    "schemes": ("Begrippenlijsten (SKOS)", "Concept schemes (SKOS)"),
    "namespace": ("Naamruimte", "Namespace"),
    "subclass_of": ("subklasse van", "subclass of"),
    "subproperty_of": ("subeigenschap van", "subproperty of"),
    "domain": ("domein", "domain"),
    "range": ("bereik", "range"),
    "equivalent": ("gelijk aan", "equivalent to"),
    "in_english": ("Engels", "Dutch"),
    "properties_of_class": ("eigenschappen met dit domein", "properties with this domain"),
    "created": ("Gemaakt", "Created"),
    "modified": ("Gewijzigd", "Modified"),
    "creator": ("Maker", "Creator"),
    "concepts": ("begrippen", "concepts"),
    "list": ("lijst", "list"),
    "to": ("naar", "to"),
    "status_text": ("status of rol", "status or role"),
    "prerequisite": ("voorwaarde", "prerequisite"),
    "drivenBy": ("gedreven door", "driven by"),
    "ticked": ("aangekruist in de tabel van de bron", "ticked in the source's table"),
    "summary": ("samenvatting", "summary"),
    "statedReason": ("motivering volgens de bron", "reason given by the source"),
    "causeText": ("oorzaak", "cause"),
    "effectText": ("gevolg", "effect"),
    "drawbackText": ("keerzijde", "drawback"),
    "caveatText": ("kanttekening", "caveat"),
    "enabledBy": ("mogelijk door", "enabled by"),
    "endFunctionDomain": ("eindfunctie binnen", "end function within"),
    "routeDomain": ("domein", "domain"),
    "practiceContext": ("uitvoeringscontext", "practice context"),
    "void_triples": ("tripels", "triples"),
    "void_entities": ("entiteiten (onder id/)", "entities (under id/)"),
    "void_distinctSubjects": ("verschillende onderwerpen", "distinct subjects"),
    "void_distinctObjects": ("verschillende objecten", "distinct objects"),
    "void_properties": ("eigenschappen", "properties"),
    "void_classes": ("klassen", "classes"),
    "technology": ("technologie", "technology"),
    "trends": ("trends", "trends"),
    "appliesTo": ("geldt voor", "applies to"),
    "qualification": ("kwalificatie", "qualification"),
    "actor": ("door", "by"),
    "aimOf": ("doel van", "aim of"),
    "consequenceOf": ("gevolg van", "consequence of"),
    "elaborates": ("werkt uit", "elaborates"),
    "mentionsRegulation": ("regelgeving", "regulation"),
    "concernsDomain": ("werkgebied", "work domain"),
    "partOfTrend": ("deel van", "part of"),
    "attributed": ("volgens", "according to"),
    "concernsDossier": ("betreft", "concerns"),
    "involvements": ("betrokkenheid", "involvement"),
    "year": ("jaar", "year"),
    "change_category": ("Wijzigingscategorie", "Change category"),
    "predecessors": ("Voorgangers", "Predecessors"),
    "durationYears": ("jaren", "years"),
    "parameter": ("parameter", "parameter"),
    "use": ("gebruik", "use"),
    "required": ("verplicht", "required"),
    "optional": ("optioneel", "optional"),
    "default": ("standaard", "default"),
    "tags": ("trefwoorden", "tags"),
    "run": ("Uitvoeren", "Run"),
    "open_in_ui": ("Openen in de SPARQL-omgeving", "Open in the query UI"),
    "rows": ("rijen", "rows"),
    "the_query": ("De vraag in SPARQL", "The query in SPARQL"),
    "breadcrumbs": ("Kruimelpad", "Breadcrumbs"),
    "cite_this": ("Citeren", "Cite this"),
    "cite_text": ("Tekst", "Text"),
    "publisher": ("Uitgever", "Publisher"),
    "in_dossier": ("in het dossier", "in the dossier"),
    "also": ("Net zo, ook", "Alike, also"),
    "other_kinds": ("Overige", "Other"),
    "not_found_page": ("Er is geen pagina op", "There is no page at"),
    # The national structure's pages (web/dossiers.py: the dossier index, imported dossiers and
    # qualifications, compare); "st_" keeps these keys apart from the other pages' words.
    "st_dossiers": ("Dossiers", "Dossiers"),
    "st_dossier_index": ("Alle kwalificatiedossiers", "All qualification dossiers"),
    "st_dossier_index_intro": (
        "{count} dossiers per opleidingsdomein en sectorkamer, met hun kwalificaties, mbo-niveaus"
        " en crebocodes.",
        "{count} dossiers by education domain and sector chamber, with their qualifications, MBO levels"
        " and crebo codes.",
    ),
    "st_no_domain": ("Opleidingsdomein niet in de gegevens", "Education domain not in the data"),
    "st_no_chamber": ("Sectorkamer niet in de gegevens", "Sector chamber not in the data"),
    "st_breadcrumbs": ("kruimelpad", "breadcrumbs"),
    "st_kwalificatiedossier": ("Kwalificatiedossier", "Qualification dossier"),
    "st_qualification_word": ("Kwalificatie", "Qualification"),
    "st_qualifications": ("Kwalificaties", "Qualifications"),
    "st_level": ("niveau", "level"),
    "st_mbo_level": ("mbo-niveau", "MBO level"),
    "st_crebo": ("crebo", "crebo"),
    "st_crebo_codes": ("Crebocodes", "Crebo codes"),
    "st_crebo_registration": ("Creboregistratie", "Crebo registration"),
    "st_valid_from": ("geldig vanaf", "valid from"),
    "st_intake_ends": ("einde instroom", "end of intake"),
    "st_programme_ends": ("einde opleiding", "end of programme"),
    "st_where_in_xml": ("in de XML", "in the XML"),
    "st_xml_line": ("regel", "line"),
    "st_sbb_number": ("SBB-nummer", "SBB number"),
    "st_education_domain": ("Opleidingsdomein", "Education domain"),
    "st_sector_chamber": ("Sectorkamer", "Sector chamber"),
    "st_adopted_on": ("Vastgesteld op", "Adopted on"),
    "st_adopted_by": ("Vastgesteld door", "Adopted by"),
    "st_adopted_at": ("Vastgesteld te", "Adopted at"),
    "st_status": ("Status", "Status"),
    "st_change_category": ("Wijzigingscategorie", "Change category"),
    "st_predecessor": ("Voorganger", "Predecessor"),
    "st_in_dossier": ("In dossier", "In dossier"),
    "st_occupational_group": ("Beroepengroep", "Occupational group"),
    "st_study_load": ("Studielast (uren)", "Study load (hours)"),
    "st_programme_type": ("Soort opleiding", "Type of programme"),
    "st_basisdeel": ("Basisdeel: kerntaken en werkprocessen", "Basic part: core tasks and work processes"),
    "st_profieldeel": ("Profieldeel", "Profile part"),
    "st_work_process": ("werkproces", "work process"),
    "st_work_processes": ("werkprocessen", "work processes"),
    "st_work_processes_title": ("Werkprocessen", "Work processes"),
    "st_description": ("Omschrijving", "Description"),
    "st_result": ("Resultaat", "Result"),
    "st_behaviour": ("Gedrag", "Behaviour"),
    "st_complexity": ("Complexiteit", "Complexity"),
    "st_responsibility": ("Verantwoordelijkheid en zelfstandigheid", "Responsibility and autonomy"),
    "st_knowledge": ("Vakkennis en vaardigheden", "Knowledge and skills"),
    "st_competence": ("Competentie", "Competence"),
    "st_competences": ("Competenties", "Competences"),
    "st_additions": ("Aanvullingen per profiel", "What each profile adds"),
    "st_additions_here": (
        "Wat dit profiel aan het basisdeel toevoegt",
        "What this profile adds to the basic part",
    ),
    "st_adds_to": ("vult aan:", "adds to:"),
    "st_cefr": ("Taaleisen (ERK)", "Language requirements (CEFR)"),
    "st_skill": ("Vaardigheid", "Skill"),
    "st_skill_luisteren": ("luisteren", "listening"),
    "st_skill_lezen": ("lezen", "reading"),
    "st_skill_gesprekken-voeren": ("gesprekken voeren", "spoken interaction"),
    "st_skill_spreken": ("spreken", "spoken production"),
    "st_skill_schrijven": ("schrijven", "writing"),
    "st_no_language_requirements": ("Geen taaleisen in de gegevens", "No language requirements in the data"),
    "st_chapters": ("Toelichtende hoofdstukken", "Narrative chapters"),
    "st_requires": ("Wat deze kwalificatie vraagt", "What this qualification requires"),
    "st_requires_intro": (
        "{basis} kerntaken uit het basisdeel van het dossier en {own} uit het eigen profiel.",
        "{basis} core tasks from the dossier's basic part and {own} from its own profile.",
    ),
    "st_part_basis": ("basisdeel", "basic part"),
    "st_part_profiel": ("profieldeel", "profile part"),
    "st_compare_title": ("Kwalificaties vergelijken", "Compare qualifications"),
    "st_compare_this": ("Vergelijk deze kwalificatie met andere", "Compare this qualification with others"),
    "st_compare_these": (
        "Vergelijk de kwalificaties van dit dossier",
        "Compare this dossier's qualifications",
    ),
    "st_compare_pick": (
        "Kies twee of meer kwalificaties of dossiers (Ctrl of Cmd voor meer dan een)",
        "Pick two or more qualifications or dossiers (Ctrl or Cmd for more than one)",
    ),
    "st_compare_button": ("Vergelijk", "Compare"),
    "st_compare_too_few": ("Kies er minstens twee om te vergelijken.", "Pick at least two to compare."),
    "st_compare_unknown": (
        "Geen kwalificatie of dossier in de gegevens: {items}. Kies uit de lijst.",
        "Not a qualification or dossier in the data: {items}. Pick from the list.",
    ),
    "st_compare_too_many": (
        "Vergelijk er hoogstens {most} tegelijk (u koos er {asked}).",
        "Compare at most {most} at a time (you picked {asked}).",
    ),
    "st_whole_dossier": ("heel dossier", "whole dossier"),
    "st_overview": ("Overzicht", "Overview"),
    "st_shared_all": ("Gedeeld door alle", "Shared by all"),
    "st_shared_some": ("Gedeeld door een deel", "Shared by some"),
    "st_only_in": ("Alleen in", "Only in"),
    "st_none": ("geen", "none"),
    "st_yes": ("ja", "yes"),
    "st_competence_counts": (
        "Per kolom: hoeveel werkprocessen de competentie vragen; laatste kolom: in hoeveel van de"
        " vergeleken kwalificaties.",
        "Per column: how many work processes ask for the competence; last column: in how many of the"
        " compared items.",
    ),
    "st_needed_by": ("nodig in", "needed by"),
    "st_routes": ("Ontwikkelmogelijkheden: waarheen ze leiden", "Progression routes: where they lead"),
    "st_shared": ("gedeeld", "shared"),
    "st_lang_en": ("Engels", "English"),
    "st_lang_de": ("Duits", "German"),
    "st_lang_fr": ("Frans", "French"),
    "st_lang_es": ("Spaans", "Spanish"),
    "st_lang_nl": ("Nederlands", "Dutch"),
    "st_sparql_behind": ("De SPARQL-vraag achter deze pagina", "The SPARQL query behind this page"),
}


def page_language() -> str:
    """``?lang=`` first (the switch), then the cookie it set, then Accept-Language; Dutch by default.
    Decided once per request (a page asks for it for every text it shows)."""
    if "page_language" not in g:
        vary_on("Accept-Language", "Cookie")  # what the language is chosen by (the Vary header)
        g.page_language = _page_language()
    language: str = g.page_language  # (Flask's g holds Any: the str set above)
    return language


def _page_language() -> str:
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or "nl"


def word(key: str, lang: str | None = None) -> str:
    nl, en = WORDS[key]
    return en if (lang or page_language()) == "en" else nl


def switch_url(lang: str) -> str:
    """This page in the other language: the same path and parameters, ``lang`` replaced."""
    other = "nl" if lang == "en" else "en"
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"] + [("lang", other)]
    return f"{request.path}?{urlencode(args)}"


@blueprint.app_template_filter("in_lang")
def in_language(value: object) -> Markup:
    """A text from the data, inside ``<span lang>`` when it is in another language than the page
    (a Dutch name on an English page where the data has no English one)."""
    return marked(value, page_language())


@blueprint.app_context_processor
def page_words() -> dict[str, object]:
    lang = page_language()
    return {"lang": lang, "t": lambda key: word(key, lang), "switch_url": switch_url(lang)}


@blueprint.after_app_request
def remember_language(response: Response) -> Response:
    """The switch sticks: a page asked for with ``?lang=`` sets the cookie for the next ones."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES and response.mimetype == "text/html":
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax")
    return response
