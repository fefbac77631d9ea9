"""One language per page: Dutch or English, chosen by ``?lang=``, a cookie, or Accept-Language.

Every word a page shows around the data comes from ``WORDS`` in the page's language, so a Dutch
page has no English words in it (and the other way round); data labels are picked in the same
language by the page builders. ``?lang=en`` sets a cookie, so the switch in the header sticks.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, g, request
from markupsafe import Markup, escape

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
}


def page_language() -> str:
    """``?lang=`` first (the switch), then the cookie it set, then Accept-Language; Dutch by default.
    Decided once per request (a page asks for it for every text it shows)."""
    if "page_language" not in g:
        g.page_language = _page_language()
    return g.page_language


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
    tag = getattr(value, "lang", "")
    if tag and tag.split("-")[0] != page_language():
        return Markup(f'<span lang="{escape(tag)}">{escape(value)}</span>')
    return Markup(escape(value))


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
    if response.mimetype == "text/html":
        vary = response.headers.get("Vary", "")
        if "Accept-Language" not in vary:
            response.headers["Vary"] = f"{vary}, Accept-Language".lstrip(", ")
        if "Cookie" not in response.headers["Vary"]:
            response.headers["Vary"] += ", Cookie"
    return response
