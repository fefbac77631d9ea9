"""SBB's dossier XML as quads in our model, every statement in a graph that says where it is.

What the XML says becomes data, and nothing more: structured elements (dossier, crebo codes
with their dates, qualifications, kerntaken, werkprocessen, competences, knowledge and skills,
CEFR levels, agenda rows, source documents) become resources and properties; narrative chapters
become clean text (``narrative``), never statements read from prose.

**Provenance.** Every element that introduces a resource gets a named graph of its own, a
``kd:XmlLocation`` under ``{base}id/xml-location/``: the file (a ``kd:SourceFile`` with its name
and SHA-256), the element's name, its path and the line of its start tag, and the dossier it
belongs to. The graph's name carries the first 12 hex digits of the file's SHA-256, so the same
bytes give the same graphs and two files never share one.

**Identifiers** (the rule, also in the README): SBB's own numbers, never positions where SBB
gives a number.
- a dossier edition: ``id/dossier/sbb-{dossier nr}`` (the edition's record number; its crebo
  codes are ``kd:crebo`` values, found by ``/id/crebo/{code}``);
- a qualification: ``id/qualification/{crebo}-{dossier nr}`` (``sbb-{profiel nr}-{dossier nr}``
  for a profiel without crebo);
- a kerntaak, werkproces, knowledge or skill: ``id/{core-task|work-process|knowledge-skill}/
  {dossier nr}-{nr}``; a profile addition ``id/profile-addition/{nr}-{profiel nr}-{aspect}``;
- things SBB numbers by position only (agenda rows, source documents, narrative texts, language
  requirements): the dossier nr, the element and the position in document order;
- the shared lists, one resource each whichever files repeat them: ``id/education-domain/{crebo}``
  (``sbb-{nr}`` without crebo), ``id/sector-chamber/sbb-{nr}``, ``def/sbb-competence/{code}``.

**Errors.** What cannot be imported correctly is an ``SbbFormatError`` naming ``file:line`` and
what was expected (a missing required element or attribute, a reference to nothing, a date that
is not one). What can be skipped safely (an element or attribute this importer does not know) is
a warning with ``file:line``, never a silent drop.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from kdgraph import DEFAULT_BASE
from kdgraph.pipeline.narrative import clean_text
from kdgraph.pipeline.sbb_reader import Element, SbbFormatError, parse_sbb_xml

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"
ISO639 = "http://id.loc.gov/vocabulary/iso639-1/"

# Language names SBB writes in a taal's titel that name exactly one language.
LANGUAGES = {"engels": "en", "duits": "de", "frans": "fr", "spaans": "es", "nederlands": "nl"}
SKILLS = {
    "luisteren": "luisteren",
    "lezen": "lezen",
    "gesprekken voeren": "gesprekken-voeren",
    "spreken": "spreken",
    "schrijven": "schrijven",
}
CEFR = ("A1", "A2", "B1", "B2", "C1", "C2")

# The narrative texts: element name -> text kind (def/dossier-text-kind/{kind}).
NARRATIVES = {
    "inleiding": "inleiding",
    "context": "context",
    "beroepshouding": "beroepshouding",
    "resultaatvanhetberoep": "resultaat-van-het-beroep",
    "generieke_onderdelen": "generieke-onderdelen",
    "typeringvanhetberoep": "typering-van-het-beroep",
    "arbeidsmarktinformatie": "arbeidsmarktinformatie",
    "ontwikkelingenindeberoepsuitoefening": "ontwikkelingen-in-de-beroepsuitoefening",
    "wetenregelgeving": "wet-en-regelgeving",
    "wettelijkeberoepsvereisten": "wettelijke-beroepsvereisten",
    "ontwikkelmogelijkheden": "ontwikkelmogelijkheden",
    "betrokkenen": "betrokkenen",
    "aanvullendeinfo": "aanvullende-informatie",
    "examenprofielen": "examenprofielen",
    "taaltoelichting": "toelichting-taaleisen",
    "agendatoelichting": "toelichting-onderhoudsagenda",
    "wijzigingsomschrijving": "omschrijving-wijzigingen",
    "toelichtingwettelijkeberoepsvereisten": "toelichting-wettelijke-beroepsvereisten",
    "toelichtingvereisten": "toelichting-bijzondere-vereisten",
}


@dataclass
class ImportResult:
    """The quads of one file and what was skipped (each warning ``file:line: ...``)."""

    quads: list[ox.Quad]
    warnings: list[str] = field(default_factory=list)
    dossiers: list[str] = field(default_factory=list)  # IRIs of the dossier editions, in file order


def _words(text: str | None) -> str:
    """White space folded: SBB's titles carry stray spaces ("Draagt bij aan een veilige situatie ")."""
    return " ".join((text or "").split())


class _Importer:
    """One file's walk. Methods are named after the element they read."""

    def __init__(self, path: Path, content: bytes, base: str):
        self.path, self.base = path, base
        self.digest = hashlib.sha256(content).hexdigest()
        self.key = self.digest[:12]
        self.kd = base + "def/kd#"
        self.quads: list[ox.Quad] = []
        self.warnings: list[str] = []
        self._warned: set[tuple[str, str]] = set()
        self.file = ox.NamedNode(f"{base}id/source-file/{self.key}")
        self.dossiers: list[str] = []

    # ---------------------------------------------------------------- terms

    def iri(self, local: str) -> ox.NamedNode:
        return ox.NamedNode(self.base + local)

    def term(self, name: str) -> ox.NamedNode:
        return ox.NamedNode(self.kd + name)

    @staticmethod
    def nl(text: str) -> ox.Literal:
        return ox.Literal(text, language="nl")

    @staticmethod
    def typed(value: str, datatype: str) -> ox.Literal:
        return ox.Literal(value, datatype=ox.NamedNode(XSD + datatype))

    # ---------------------------------------------------------------- reporting

    def where(self, element: Element) -> str:
        return f"{self.path}:{element.sourceline}"

    def fail(self, element: Element, message: str) -> SbbFormatError:
        return SbbFormatError(self.path, message, element.sourceline)

    def warn(self, element: Element, message: str, kind: str) -> None:
        if (kind, message) in self._warned:
            return
        self._warned.add((kind, message))
        self.warnings.append(f"{self.where(element)}: warning: {message}")

    def expect(self, element: Element, children: Iterable[str] = (), attributes: Iterable[str] = ()) -> None:
        """Warn (once per kind) about children and attributes this importer does not read."""
        known = set(children)
        for child in element:
            if child.tag not in known:
                self.warn(
                    child,
                    f"<{child.tag}> in <{element.tag}> is not known to the importer and was skipped "
                    f"(known: {', '.join(sorted(known)) or 'none'})",
                    f"element {element.tag}/{child.tag}",
                )
        unknown = set(element.attrib) - set(attributes)
        for name in sorted(unknown):
            self.warn(
                element,
                f"attribute {name}= of <{element.tag}> is not known to the importer and was skipped",
                f"attribute {element.tag}@{name}",
            )

    def required(self, element: Element, name: str) -> str:
        value = _words(element.get(name))
        if not value:
            raise self.fail(element, f"<{element.tag}> needs a non-empty attribute {name}=")
        return value

    def child(self, element: Element, tag: str) -> Element:
        found = element.find(tag)
        if found is None:
            raise self.fail(element, f"<{element.tag}> needs a <{tag}> element")
        return found  # type: ignore[return-value]

    def date(self, element: Element, text: str | None, what: str) -> ox.Literal | None:
        """dd-mm-yyyy (as SBB's 2016 files write dates) or ISO yyyy-mm-dd; empty: none."""
        value = (text or "").strip()
        if not value:
            return None
        found = re.fullmatch(r"(\d{2})-(\d{2})-(\d{4})", value)
        try:
            if found:
                day = date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                day = date.fromisoformat(value)
            else:
                raise ValueError
        except ValueError:
            raise self.fail(
                element, f"{what} {value!r} is not a date (expected dd-mm-yyyy or yyyy-mm-dd)"
            ) from None
        return self.typed(day.isoformat(), "date")

    # ---------------------------------------------------------------- graphs

    def located(self, element: Element, local: str, dossier: ox.NamedNode | None) -> _Graph:
        """A provenance graph for what ``element`` says, described in itself."""
        graph = _Graph(self, self.iri(f"id/xml-location/{self.key}-{local}"))
        graph.add(graph.name, RDF_TYPE, self.term("XmlLocation"))
        graph.add(graph.name, self.term("sourceFile"), self.file)
        graph.add(graph.name, self.term("xmlElement"), ox.Literal(element.tag))
        graph.add(graph.name, self.term("xmlPath"), ox.Literal(element.path))
        graph.add(graph.name, self.term("line"), self.typed(str(element.sourceline), "integer"))
        if dossier is not None:
            graph.add(graph.name, self.term("dossier"), dossier)
        return graph

    def describe_file(self) -> None:
        graph = _Graph(self, self.file)
        graph.add(self.file, RDF_TYPE, self.term("SourceFile"))
        graph.add(self.file, ox.NamedNode(SCHEMA + "name"), ox.Literal(self.path.name))
        graph.add(self.file, self.term("checksum"), ox.Literal(self.digest))
        graph.add(self.file, ox.NamedNode(SCHEMA + "encodingFormat"), ox.Literal("application/xml"))

    # ---------------------------------------------------------------- the walk

    def run(self, root: Element) -> None:
        _number_paths(root)
        self.expect(root, ("domeinen", "sectorkamers", "competenties", "dossiers"))
        self.describe_file()
        self.domains = self.domein_list(root.find("domeinen"))
        self.chambers = self.sectorkamer_list(root.find("sectorkamers"))
        self.competences = self.competentie_list(root.find("competenties"))
        dossiers = root.find("dossiers")
        if dossiers is None or dossiers.find("dossier") is None:
            raise self.fail(root, "<sbb> holds no <dossiers><dossier> (expected at least one dossier)")
        self.expect(dossiers, ("dossier",))
        for element in dossiers.findall("dossier"):
            self.dossier(element)

    def record(
        self,
        element: Element,
        resource: ox.NamedNode,
        kind: str,
        local: str,
        label: str = RDFS + "label",
        inside: bool = False,
    ) -> _Graph:
        """One numbered SBB record (nr, titel) in a graph of its own: typed, named, numbered; a
        record ``inside`` a dossier (a kerntaak, a knowledge item) also says which dossier, and
        its chapter number (hoofdstuk) is its position."""
        graph = self.located(element, local, self.resource if inside else None)
        graph.add(resource, RDF_TYPE, self.term(kind))
        graph.add(resource, ox.NamedNode(label), self.nl(self.required(element, "titel")))
        graph.add(resource, self.term("sbbNumber"), ox.Literal(self.required(element, "nr")))
        if inside:
            graph.add(resource, self.term("dossier"), self.resource)
        if element.get("hoofdstuk"):
            graph.add(
                resource,
                self.term("position"),
                self.integer(element, element.get("hoofdstuk", ""), "hoofdstuk"),
            )
        return graph

    def domein_list(self, element: Element | None) -> dict[str, ox.NamedNode]:
        found: dict[str, ox.NamedNode] = {}
        if element is None:
            return found
        self.expect(element, ("domein",))
        for domein in element.findall("domein"):
            self.expect(domein, (), ("nr", "titel", "crebo", "prijsfactor", "OBK_ID"))
            nr, crebo = self.required(domein, "nr"), _words(domein.get("crebo"))
            resource = self.iri(f"id/education-domain/{crebo or 'sbb-' + nr}")
            graph = self.record(domein, resource, "EducationDomain", f"domein-{nr}")
            if crebo:
                graph.add(resource, self.term("crebo"), ox.Literal(crebo))
            found[nr] = resource
        return found

    def sectorkamer_list(self, element: Element | None) -> dict[str, ox.NamedNode]:
        found: dict[str, ox.NamedNode] = {}
        if element is None:
            return found
        self.expect(element, ("sectorkamer",))
        for kamer in element.findall("sectorkamer"):
            self.expect(kamer, (), ("nr", "titel"))
            nr = self.required(kamer, "nr")
            found[nr] = self.iri(f"id/sector-chamber/sbb-{nr}")
            self.record(kamer, found[nr], "SectorChamber", f"sectorkamer-{nr}")
        return found

    def competentie_list(self, element: Element | None) -> dict[str, ox.NamedNode]:
        found: dict[str, ox.NamedNode] = {}
        if element is None:
            return found
        self.expect(element, ("competentie",))
        scheme = self.iri("def/sbb-competence")
        for competentie in element.findall("competentie"):
            self.expect(competentie, (), ("nr", "titel", "code"))
            nr, code = self.required(competentie, "nr"), self.required(competentie, "code")
            if not re.fullmatch(r"[A-Z]", code):
                raise self.fail(competentie, f"competentie code {code!r} is not one capital letter (A-Y)")
            resource = self.iri(f"def/sbb-competence/{code}")
            graph = self.record(
                competentie, resource, "GenericCompetence", f"competentie-{nr}", SKOS + "prefLabel"
            )
            graph.add(resource, RDF_TYPE, ox.NamedNode(SKOS + "Concept"))
            graph.add(resource, ox.NamedNode(SKOS + "inScheme"), scheme)
            graph.add(resource, ox.NamedNode(SKOS + "notation"), ox.Literal(code))
            found[nr] = resource
        return found

    # ---------------------------------------------------------------- one dossier

    def dossier(self, element: Element) -> None:
        self.expect(
            element,
            (
                "dossiercrebos", "kennisenvaardigheden", "categoriekennisenvaardigheden", "voorblad",
                "inleiding", "basis", "profielen", "verantwoordingsinformatie",
            ),
            (
                "nr", "titel", "versie", "referentievorigeversie", "status", "referentiedomein",
                "wettelijkeberoepsvereisten", "positief_advies_toetsingskamer",
            ),
        )  # fmt: skip
        nr = self.required(element, "nr")
        dossier = self.iri(f"id/dossier/sbb-{nr}")
        self.dossiers.append(dossier.value)
        self.nr, self.resource = nr, dossier
        g = self.located(element, f"dossier-{nr}", dossier)
        title = self.required(element, "titel")
        g.add(dossier, RDF_TYPE, self.term("QualificationDossier"))
        g.add(dossier, ox.NamedNode(RDFS + "label"), self.nl(title))
        g.add(dossier, ox.NamedNode(DCTERMS + "title"), self.nl(title))
        g.add(dossier, self.term("slug"), ox.Literal(f"sbb-{nr}"))
        g.add(dossier, self.term("sbbNumber"), ox.Literal(nr))
        if _words(element.get("versie")):
            g.add(dossier, ox.NamedNode(SCHEMA + "version"), ox.Literal(_words(element.get("versie"))))
        if _words(element.get("status")):
            g.add(dossier, self.term("sbbStatus"), self.nl(_words(element.get("status"))))
        previous = _words(element.get("referentievorigeversie"))
        if previous:
            g.add(dossier, self.term("predecessor"), self.iri(f"id/dossier/sbb-{previous}"))
        domain = _words(element.get("referentiedomein"))
        if domain:
            if domain not in self.domains:
                raise self.fail(element, f"referentiedomein={domain!r} names no <domein nr> in <domeinen>")
            g.add(dossier, self.term("educationDomain"), self.domains[domain])
        for attribute, prop in (
            ("wettelijkeberoepsvereisten", "legalProfessionalRequirements"),
            ("positief_advies_toetsingskamer", "positiveAdviceToetsingskamer"),
        ):
            value = self.yes_no(element, attribute)
            if value is not None:
                g.add(dossier, self.term(prop), value)
        self.dossiercrebos(element.find("dossiercrebos"), dossier)
        self.knowledge = self.kennisenvaardigheden(element.find("kennisenvaardigheden"))
        self.kennisenvaardigheden(
            element.find("categoriekennisenvaardigheden"), "categorie", "KnowledgeSkillCategory"
        )
        self.voorblad(element.find("voorblad"), dossier)
        if element.find("inleiding") is not None:
            self.narrative(self.child(element.find("inleiding"), "omschrijving"), "inleiding", dossier)  # type: ignore[arg-type]
        profielen = element.find("profielen")
        if profielen is None or profielen.find("profiel") is None:
            raise self.fail(
                element, "<dossier> needs <profielen> with at least one <profiel> (its qualifications)"
            )
        self.profiles = {self.required(p, "nr"): p for p in profielen.findall("profiel")}
        self.qualifications = {nr: self.qualification_iri(p) for nr, p in self.profiles.items()}
        basis = element.find("basis")
        if basis is not None:
            self.basis(basis, dossier)
        self.expect(profielen, ("profiel",), ("titel",))
        for profiel in profielen.findall("profiel"):
            self.profiel(profiel, dossier)
        verantwoording = element.find("verantwoordingsinformatie")
        if verantwoording is not None:
            self.verantwoordingsinformatie(verantwoording, dossier)

    def yes_no(self, element: Element, attribute: str) -> ox.Literal | None:
        value = _words(element.get(attribute)) if attribute in element.attrib else _words(element.text)
        if not value:
            return None
        if value.lower() not in ("ja", "nee"):
            raise self.fail(element, f"{attribute} is {value!r}; expected Ja or Nee")
        return self.typed("true" if value.lower() == "ja" else "false", "boolean")

    def crebo_registration(self, element: Element, owner: ox.NamedNode, local: str) -> None:
        """A crebo code of ``owner`` with its dates, as a kd:CreboRegistration of its own.

        A dossier can carry several crebo codes, each with its own dates, and a code's dates are
        not the edition's (a 2016 edition of a code valid since 2015): so the dates belong to the
        registration, and ``owner`` carries the code too, for lookups by crebo.
        """
        self.expect(
            element,
            (),
            ("ministerie", "prijsfactor", "Geldig_vanaf", "Datum_einde_instroom", "Datum_einde_opleiding"),
        )
        code = _words(element.text)
        if not re.fullmatch(r"\d{5}", code):
            raise self.fail(element, f"crebo {code!r} is not a crebo code (five digits)")
        registration = self.iri(f"id/crebo-registration/{code}-{self.nr}")
        g = self.located(element, f"{local}-{self.nr}-{code}", self.resource)
        g.add(owner, self.term("crebo"), ox.Literal(code))
        g.add(owner, self.term("creboRegistration"), registration)
        g.add(registration, RDF_TYPE, self.term("CreboRegistration"))
        g.add(registration, self.term("crebo"), ox.Literal(code))
        for attribute, prop in (
            ("Geldig_vanaf", "validFrom"),
            ("Datum_einde_instroom", "intakeEnds"),
            ("Datum_einde_opleiding", "programmeEnds"),
        ):
            value = self.date(element, element.get(attribute), attribute)
            if value is not None:
                g.add(registration, self.term(prop), value)
        if _words(element.get("ministerie")):
            g.add(registration, self.term("ministry"), ox.Literal(_words(element.get("ministerie"))))
        factor = _words(element.get("prijsfactor"))
        if factor:
            if not re.fullmatch(r"\d+([.,]\d+)?", factor):
                raise self.fail(element, f"prijsfactor {factor!r} is not a number")
            g.add(registration, self.term("priceFactor"), self.typed(factor.replace(",", "."), "decimal"))

    def dossiercrebos(self, element: Element | None, dossier: ox.NamedNode) -> None:
        if element is None:
            return
        self.expect(element, ("dossiercrebo",))
        for crebo in element.findall("dossiercrebo"):
            self.crebo_registration(crebo, dossier, "dossiercrebo")

    def kennisenvaardigheden(
        self, element: Element | None, tag: str = "kennisofvaardigheid", kind: str = "KnowledgeOrSkill"
    ) -> dict[str, ox.NamedNode]:
        """The dossier's list of knowledge and skills (or, with ``categorie``, their categories)."""
        found: dict[str, ox.NamedNode] = {}
        if element is None:
            return found
        self.expect(element, (tag,))
        for item in element.findall(tag):
            self.expect(item, (), ("nr", "titel"))
            nr = self.required(item, "nr")
            found[nr] = self.iri(f"id/knowledge-skill/{self.nr}-{nr}")
            self.record(item, found[nr], kind, f"{tag}-{self.nr}-{nr}", inside=True)
        return found

    def voorblad(self, element: Element | None, dossier: ox.NamedNode) -> None:
        if element is None:
            return
        self.expect(element, ("omschrijving",), ("titel",))
        omschrijving = element.find("omschrijving")
        if omschrijving is None:
            return
        self.expect(omschrijving, ("penvoerder", "verantwoording"))
        g = self.located(element, f"voorblad-{self.nr}", dossier)
        penvoerder = omschrijving.find("penvoerder")
        if penvoerder is not None:
            self.expect(penvoerder, ("sectorkamer",))
            for kamer in penvoerder.findall("sectorkamer"):
                self.expect(kamer, (), ("referentie",))
                ref = self.required(kamer, "referentie")
                if ref not in self.chambers:
                    raise self.fail(
                        kamer, f"sectorkamer referentie={ref!r} names no <sectorkamer nr> in <sectorkamers>"
                    )
                g.add(dossier, self.term("sectorChamber"), self.chambers[ref])
        info = omschrijving.find("verantwoording/vaststellingsinformatie")
        if omschrijving.find("verantwoording") is not None:
            self.expect(omschrijving.find("verantwoording"), ("vaststellingsinformatie",))  # type: ignore[arg-type]
        if info is not None:
            self.expect(info, ("vastgestelddoor", "vastgesteldop", "vastgesteldte"))
            by, on, at = (info.find(tag) for tag in ("vastgestelddoor", "vastgesteldop", "vastgesteldte"))
            if by is not None and _words(by.text):
                g.add(dossier, self.term("validatedByName"), self.nl(_words(by.text)))
            if on is not None:
                day = self.date(on, on.text, "vastgesteldop")
                if day is not None:
                    g.add(dossier, self.term("validationDate"), day)
            if at is not None and _words(at.text):
                g.add(dossier, self.term("validationPlace"), self.nl(_words(at.text)))

    def narrative(
        self,
        element: Element,
        kind_element: str,
        about: ox.NamedNode,
        *,
        qualification: ox.NamedNode | None = None,
        title: str | None = None,
        position: str | None = None,
    ) -> ox.NamedNode | None:
        """A narrative text as a kd:DossierText of its kind; an empty one says nothing."""
        text = clean_text(element.text or "")
        if not text:
            return None
        kind = NARRATIVES[kind_element]
        local = f"{self.nr}-{kind}" + (f"-{qualification.value.rsplit('/', 1)[1]}" if qualification else "")
        resource = self.iri(f"id/dossier-text/{local}")
        g = self.located(element, f"tekst-{local}", self.resource)
        g.add(resource, RDF_TYPE, self.term("DossierText"))
        g.add(resource, self.term("textKind"), self.iri(f"def/dossier-text-kind/{kind}"))
        g.add(resource, self.term("dossier"), self.resource)
        if about != self.resource:
            g.add(resource, self.term("about"), about)
        if qualification is not None:
            g.add(resource, self.term("appliesTo"), qualification)
        if title:
            g.add(resource, ox.NamedNode(DCTERMS + "title"), self.nl(title))
        if position:
            g.add(resource, self.term("position"), self.integer(element, position, "hoofdstuk"))
        g.add(resource, self.term("text"), self.nl(text))
        return resource

    def integer(self, element: Element, value: str, what: str) -> ox.Literal:
        if not re.fullmatch(r"\d+", value.strip()):
            raise self.fail(element, f"{what}={value!r} is not a whole number")
        return self.typed(str(int(value)), "integer")

    # ---------------------------------------------------------------- basis and profielen

    def qualification_iri(self, profiel: Element) -> ox.NamedNode:
        crebo = profiel.find("creboinformatie/crebo")
        code = _words(crebo.text) if crebo is not None else ""
        local = code if re.fullmatch(r"\d{5}", code) else f"sbb-{self.required(profiel, 'nr')}"
        return self.iri(f"id/qualification/{local}-{self.nr}")

    def profile_ref(self, element: Element) -> ox.NamedNode:
        ref = self.required(element, "referentie")
        if ref not in self.qualifications:
            raise self.fail(element, f"profiel referentie={ref!r} names no <profiel nr> of this dossier")
        return self.qualifications[ref]

    def basis(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(element, ("typeringberoepengroep", "basistaken"), ("titel",))
        typering = element.find("typeringberoepengroep")
        if typering is not None:
            self.expect(typering, ("context", "beroepshouding", "resultaatvanhetberoep"), ("titel",))
            for part in typering:
                if part.tag in NARRATIVES:
                    self.expect(part, ("omschrijving",))
                    if part.find("omschrijving") is not None:
                        self.narrative(part.find("omschrijving"), part.tag, dossier)  # type: ignore[arg-type]
        taken = element.find("basistaken")
        if taken is None:
            return
        self.expect(taken, ("basiskerntaken", "generieke_onderdelen"), ("titel",))
        kerntaken = taken.find("basiskerntaken")
        if kerntaken is not None:
            self.expect(kerntaken, ("kerntaak",))
            for kerntaak in kerntaken.findall("kerntaak"):
                self.kerntaak(kerntaak, dossier, "basiswerkprocessen")
        generiek = taken.find("generieke_onderdelen")
        if generiek is not None:
            self.expect(generiek, ("omschrijving",), ("titel",))
            if generiek.find("omschrijving") is not None:
                self.narrative(generiek.find("omschrijving"), "generieke_onderdelen", dossier)  # type: ignore[arg-type]

    def kerntaak(self, element: Element, owner: ox.NamedNode, processes_tag: str) -> None:
        self.expect(
            element,
            ("complexiteit", "verantwoordelijkheid", "vakkennisenvaardigheden", processes_tag),
            ("nr", "titel", "hoofdstuk"),
        )
        nr = self.required(element, "nr")
        task = self.iri(f"id/core-task/{self.nr}-{nr}")
        g = self.record(element, task, "CoreTask", f"kerntaak-{self.nr}-{nr}", inside=True)
        g.add(owner, self.term("hasCoreTask"), task)
        self.texts(
            element, g, task, nr, {"complexiteit": "complexity", "verantwoordelijkheid": "responsibility"}
        )
        knowledge = element.find("vakkennisenvaardigheden")
        if knowledge is not None:
            self.requirements(knowledge, g, task, nr)
        processes = element.find(processes_tag)
        if processes is not None:
            self.expect(processes, ("werkproces",))
            for werkproces in processes.findall("werkproces"):
                self.werkproces(werkproces, task)

    def texts(self, element: Element, g: _Graph, owner: ox.NamedNode, nr: str, parts: dict[str, str]) -> None:
        """A kerntaak's or werkproces's texts (tag -> property), each with what profiles add to it
        (``<tag>perprofiel``)."""
        for tag, prop in parts.items():
            part = element.find(tag)
            if part is None:
                continue
            self.expect(part, (f"{tag}perprofiel",))
            text = clean_text(part.text or "")
            if text:
                g.add(owner, self.term(prop), self.nl(text))
            self.additions(part.find(f"{tag}perprofiel"), owner, nr, tag, prop)

    def requirements(self, element: Element, g: _Graph, task: ox.NamedNode, nr: str) -> None:
        """vakkennisenvaardigheden: references to the dossier's list, and per-profile additions."""
        self.expect(
            element,
            (
                "vakkennisenvaardigheden",
                "vakkennisenvaardighedenperprofiel",
                "vakkennisenvaardigheden_met_categorie",
            ),
        )
        for ref in element.findall("vakkennisenvaardigheden"):
            g.add(task, self.term("requiresKnowledgeOrSkill"), self.knowledge_ref(ref))
        per_profile = element.find("vakkennisenvaardighedenperprofiel")
        if per_profile is not None:
            self.expect(per_profile, ("aanvullend",))
            for addition in per_profile.findall("aanvullend"):
                self.expect(addition, ("profiel", "vakkennisenvaardighedenonderdelen"))
                qualification = self.profile_ref(self.child(addition, "profiel"))
                parts = addition.find("vakkennisenvaardighedenonderdelen")
                refs = parts.findall("vakkennisenvaardigheden") if parts is not None else []
                if parts is not None:
                    self.expect(parts, ("vakkennisenvaardigheden",))
                if refs:
                    resource, ag = self.addition(addition, task, nr, qualification, "vakkennisenvaardigheden")
                    for ref in refs:
                        ag.add(resource, self.term("requiresKnowledgeOrSkill"), self.knowledge_ref(ref))
        category = element.find("vakkennisenvaardigheden_met_categorie")
        if category is not None and (len(category) or _words(category.text)):
            self.warn(
                category,
                "<vakkennisenvaardigheden_met_categorie> with content is not known to the importer "
                "and was skipped",
                "element vakkennisenvaardigheden_met_categorie",
            )

    def knowledge_ref(self, element: Element) -> ox.NamedNode:
        self.expect(element, (), ("referentie",))
        ref = self.required(element, "referentie")
        if ref not in self.knowledge:
            raise self.fail(element, f"referentie={ref!r} names no <kennisofvaardigheid nr> of this dossier")
        return self.knowledge[ref]

    def addition(
        self, element: Element, owner: ox.NamedNode, nr: str, qualification: ox.NamedNode, aspect: str
    ) -> tuple[ox.NamedNode, _Graph]:
        """A profile's addition to a basis kerntaak or werkproces (SBB's <aanvullend>)."""
        profile = qualification.value.rsplit("/", 1)[1]
        resource = self.iri(f"id/profile-addition/{nr}-{profile}-{aspect}")
        g = self.located(element, f"aanvullend-{nr}-{profile}-{aspect}", self.resource)
        g.add(resource, RDF_TYPE, self.term("ProfileAddition"))
        g.add(resource, self.term("addsTo"), owner)
        g.add(resource, self.term("appliesTo"), qualification)
        g.add(resource, self.term("dossier"), self.resource)
        return resource, g

    def additions(self, element: Element | None, owner: ox.NamedNode, nr: str, tag: str, prop: str) -> None:
        """``<Xperprofiel><aanvullend><profiel referentie/><X>text</X>``: a profile's own text."""
        if element is None:
            return
        self.expect(element, ("aanvullend",))
        for addition in element.findall("aanvullend"):
            text_tag = "omschrijving" if tag.startswith("werkproces") else tag
            self.expect(addition, ("profiel", text_tag))
            qualification = self.profile_ref(self.child(addition, "profiel"))
            part = addition.find(text_tag)
            if part is None:
                continue
            if tag == "werkprocescompetenties":
                self.expect(part, ("competentie",))
                refs = part.findall("competentie")
                if refs:
                    resource, g = self.addition(addition, owner, nr, qualification, "competenties")
                    for ref in refs:
                        g.add(resource, self.term("requiresCompetence"), self.competence_ref(ref))
                continue
            text = clean_text(part.text or "")
            if text:
                resource, g = self.addition(addition, owner, nr, qualification, prop)
                g.add(resource, self.term(prop), self.nl(text))

    def competence_ref(self, element: Element) -> ox.NamedNode:
        self.expect(element, (), ("referentie",))
        ref = self.required(element, "referentie")
        if ref not in self.competences:
            raise self.fail(
                element, f"competentie referentie={ref!r} names no <competentie nr> in <competenties>"
            )
        return self.competences[ref]

    def werkproces(self, element: Element, task: ox.NamedNode) -> None:
        parts = {
            "werkprocesomschrijving": "description",
            "werkprocesresultaat": "result",
            "werkprocesgedrag": "behaviour",
        }
        self.expect(element, (*parts, "werkprocescompetenties"), ("nr", "titel", "hoofdstuk"))
        nr = self.required(element, "nr")
        process = self.iri(f"id/work-process/{self.nr}-{nr}")
        g = self.record(element, process, "WorkProcess", f"werkproces-{self.nr}-{nr}", inside=True)
        g.add(task, self.term("hasWorkProcess"), process)
        self.texts(element, g, process, nr, parts)
        competences = element.find("werkprocescompetenties")
        if competences is not None:
            self.expect(competences, ("competentie", "werkprocescompetentiesperprofiel"))
            for ref in competences.findall("competentie"):
                g.add(process, self.term("requiresCompetence"), self.competence_ref(ref))
            self.additions(
                competences.find("werkprocescompetentiesperprofiel"),
                process,
                nr,
                "werkprocescompetenties",
                "",
            )

    def profiel(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(
            element,
            ("omschrijving", "creboinformatie", "profielkerntaken"),
            ("nr", "titel", "hoofdstuk", "niveau", "beroepsgroep"),
        )
        nr = self.required(element, "nr")
        qualification = self.qualifications[nr]
        g = self.located(element, f"profiel-{self.nr}-{nr}", dossier)
        g.add(qualification, RDF_TYPE, self.term("Qualification"))
        g.add(qualification, ox.NamedNode(RDFS + "label"), self.nl(self.required(element, "titel")))
        g.add(qualification, self.term("slug"), ox.Literal(qualification.value.rsplit("/", 1)[1]))
        g.add(qualification, self.term("sbbNumber"), ox.Literal(nr))
        g.add(qualification, self.term("inDossier"), dossier)
        g.add(dossier, self.term("hasQualification"), qualification)
        level = self.required(element, "niveau")
        if level not in ("1", "2", "3", "4"):
            raise self.fail(element, f"niveau={level!r} is not an MBO level (1, 2, 3 or 4)")
        g.add(qualification, self.term("mboLevel"), self.iri(f"def/mbo-level/{level}"))
        if element.get("hoofdstuk"):
            g.add(
                qualification,
                self.term("position"),
                self.integer(element, element.get("hoofdstuk", ""), "hoofdstuk"),
            )
        if _words(element.get("beroepsgroep")):
            g.add(qualification, self.term("occupationalGroup"), self.nl(_words(element.get("beroepsgroep"))))
        crebos = element.find("creboinformatie")
        if crebos is None or crebos.find("crebo") is None:
            self.warn(
                element, f"profiel {nr} has no <creboinformatie><crebo>: imported without crebo code", "crebo"
            )
        else:
            self.expect(crebos, ("crebo",))
            for crebo in crebos.findall("crebo"):
                self.crebo_registration(crebo, qualification, "crebo")
        omschrijving = element.find("omschrijving")
        if omschrijving is not None:
            self.profile_description(omschrijving, qualification, g)
        kerntaken = element.find("profielkerntaken")
        if kerntaken is not None:
            self.expect(kerntaken, ("kerntaak",))
            for kerntaak in kerntaken.findall("kerntaak"):
                self.kerntaak(kerntaak, qualification, "profielwerkprocessen")

    def profile_description(self, element: Element, qualification: ox.NamedNode, g: _Graph) -> None:
        known = (
            "typeringvanhetberoep", "wettelijkeberoepsvereisten", "toelichtingwettelijkeberoepsvereisten",
            "bronwettelijkeberoepsvereisten", "certificaten", "sbu", "soortopleiding",
            "instellingendieaanmogenbieden",
        )  # fmt: skip
        self.expect(element, known)
        for tag in ("typeringvanhetberoep", "toelichtingwettelijkeberoepsvereisten"):
            part = element.find(tag)
            if part is not None:
                self.narrative(part, tag, qualification, qualification=qualification)
        legal = element.find("wettelijkeberoepsvereisten")
        if legal is not None:
            value = self.yes_no(legal, "wettelijkeberoepsvereisten")
            if value is not None:
                g.add(qualification, self.term("legalProfessionalRequirements"), value)
        sbu = element.find("sbu")
        if sbu is not None and _words(sbu.text):
            g.add(qualification, self.term("studyLoadHours"), self.integer(sbu, _words(sbu.text), "sbu"))
        kind = element.find("soortopleiding")
        if kind is not None and _words(kind.text):
            g.add(qualification, self.term("programmeType"), self.nl(_words(kind.text)))
        for tag in ("bronwettelijkeberoepsvereisten", "certificaten", "instellingendieaanmogenbieden"):
            part = element.find(tag)
            if part is not None and (len(part) or _words(part.text)):
                self.warn(
                    part,
                    f"<{tag}> with content is not known to the importer and was skipped",
                    f"content {tag}",
                )

    # ---------------------------------------------------------------- verantwoordingsinformatie

    def verantwoordingsinformatie(self, element: Element, dossier: ox.NamedNode) -> None:
        chapters = (
            "brondocumenten", "arbeidsmarktinformatie", "trendsenontwikkelingen",
            "wettelijkeberoepsvereisten",
            "bijzonderevereisten", "taalbeheersingseisen", "ontwikkelmogelijkheden", "onderhoudsagenda",
            "wijzigingen", "betrokkenen", "aanvullendeinfo", "examenprofielen",
        )  # fmt: skip
        self.expect(element, chapters, ("titel",))
        for chapter in element:
            title, number = _words(chapter.get("titel")), chapter.get("hoofdstuk")
            if chapter.tag in NARRATIVES:
                self.expect(chapter, (), ("titel", "hoofdstuk"))
                self.narrative(chapter, chapter.tag, dossier, title=title, position=number)
            elif chapter.tag == "trendsenontwikkelingen":
                self.expect(
                    chapter,
                    ("ontwikkelingenindeberoepsuitoefening", "wetenregelgeving"),
                    ("titel", "hoofdstuk"),
                )
                for part in chapter:
                    if part.tag in NARRATIVES:
                        self.narrative(part, part.tag, dossier)
            elif chapter.tag == "brondocumenten":
                self.brondocumenten(chapter, dossier)
            elif chapter.tag == "bijzonderevereisten":
                self.bijzonderevereisten(chapter)
            elif chapter.tag == "taalbeheersingseisen":
                self.taalbeheersingseisen(chapter, dossier)
            elif chapter.tag == "onderhoudsagenda":
                self.onderhoudsagenda(chapter, dossier)
            elif chapter.tag == "wijzigingen":
                self.wijzigingen(chapter, dossier)

    def brondocumenten(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(element, ("brondocument",), ("titel", "hoofdstuk"))
        for position, document in enumerate(element.findall("brondocument"), 1):
            self.expect(document, (), ("naam", "type", "datum", "omschrijving", "link"))
            resource = self.iri(f"id/source-document/{self.nr}-{position}")
            g = self.located(document, f"brondocument-{self.nr}-{position}", dossier)
            kind = _words(document.get("type"))
            g.add(
                resource,
                RDF_TYPE,
                self.term("CompetencyProfile" if "competentie" in kind.lower() else "SourceDocument"),
            )
            label = _words(document.get("omschrijving")) or _words(document.get("naam"))
            if not label:
                raise self.fail(document, "<brondocument> needs omschrijving= or naam=")
            g.add(resource, ox.NamedNode(RDFS + "label"), self.nl(label))
            if _words(document.get("naam")):
                g.add(resource, ox.NamedNode(SCHEMA + "name"), ox.Literal(_words(document.get("naam"))))
            if kind:
                g.add(resource, self.term("documentType"), self.nl(kind))
            day = self.date(document, document.get("datum"), "datum")
            if day is not None:
                g.add(resource, ox.NamedNode(DCTERMS + "date"), day)
            link = (document.get("link") or "").strip()
            if link:
                g.add(resource, ox.NamedNode(SCHEMA + "url"), self.typed(link, "anyURI"))
            g.add(resource, self.term("position"), self.typed(str(position), "integer"))
            g.add(dossier, self.term("basedOn"), resource)

    def bijzonderevereisten(self, element: Element) -> None:
        self.expect(element, ("profiel",), ("titel", "hoofdstuk"))
        for profiel in element.findall("profiel"):
            self.expect(profiel, ("eisen", "toelichtingvereisten"), ("referentie",))
            qualification = self.profile_ref(profiel)
            g = self.located(
                profiel, f"bijzonderevereisten-{self.nr}-{profiel.get('referentie')}", self.resource
            )
            eisen = profiel.find("eisen")
            if eisen is not None:
                value = self.yes_no(eisen, "eisen")
                if value is not None:
                    g.add(qualification, self.term("specialRequirements"), value)
            toelichting = profiel.find("toelichtingvereisten")
            if toelichting is not None:
                self.narrative(
                    toelichting, "toelichtingvereisten", qualification, qualification=qualification
                )

    def taalbeheersingseisen(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(element, ("toelichting", "taalbeheersingseis"), ("titel", "hoofdstuk"))
        toelichting = element.find("toelichting")
        if toelichting is not None:
            self.narrative(toelichting, "taaltoelichting", dossier)
        for eis in element.findall("taalbeheersingseis"):
            self.expect(eis, ("profiel",), ("titel",))
            for profiel in eis.findall("profiel"):
                self.expect(profiel, ("taal",), ("referentie",))
                qualification = self.profile_ref(profiel)
                for position, taal in enumerate(profiel.findall("taal"), 1):
                    self.taal(taal, qualification, position)

    def taal(self, element: Element, qualification: ox.NamedNode, position: int) -> None:
        self.expect(element, ("taalvaardigheden",), ("titel",))
        name = self.required(element, "titel")
        profile = qualification.value.rsplit("/", 1)[1]
        statement = self.iri(f"id/language-statement/{profile}-{position}")
        g = self.located(element, f"taal-{profile}-{position}", self.resource)
        g.add(statement, RDF_TYPE, self.term("LanguageRequirementStatement"))
        g.add(
            statement,
            ox.NamedNode(RDFS + "label"),
            self.nl(f"Beroepsspecifieke moderne vreemde taal: {name}"),
        )
        g.add(statement, self.term("dossier"), self.resource)
        g.add(statement, self.term("appliesTo"), qualification)
        g.add(statement, self.term("statementKind"), self.iri("def/language-statement-kind/beroepsspecifiek"))
        g.add(statement, self.term("languageName"), self.nl(name))
        g.add(statement, self.term("position"), self.typed(str(position), "integer"))
        code = LANGUAGES.get(name.lower())
        if code:
            g.add(statement, self.term("language"), ox.NamedNode(ISO639 + code))
        skills = element.find("taalvaardigheden")
        if skills is None:
            return
        self.expect(skills, ("taalvaardigheid",))
        for vaardigheid in skills.findall("taalvaardigheid"):
            self.expect(vaardigheid, (), ("titel", "niveau"))
            skill_name = self.required(vaardigheid, "titel")
            skill = SKILLS.get(skill_name.lower())
            if skill is None:
                raise self.fail(
                    vaardigheid,
                    f"taalvaardigheid {skill_name!r} is not a CEFR skill "
                    f"(expected one of {', '.join(SKILLS)})",
                )
            level = _words(vaardigheid.get("niveau")).upper()
            if not level:
                continue  # SBB leaves the level empty for a skill the profession does not require
            if level not in CEFR:
                raise self.fail(
                    vaardigheid, f"niveau={level!r} is not a CEFR level (A1, A2, B1, B2, C1 or C2)"
                )
            requirement = self.iri(f"id/language-requirement/{profile}-{position}-{skill}")
            rg = self.located(vaardigheid, f"taalvaardigheid-{profile}-{position}-{skill}", self.resource)
            rg.add(requirement, RDF_TYPE, self.term("LanguageRequirement"))
            rg.add(
                requirement, ox.NamedNode(RDFS + "label"), self.nl(f"{name}: {skill_name.lower()} {level}")
            )
            rg.add(requirement, self.term("statedIn"), statement)
            rg.add(requirement, self.term("skill"), self.iri(f"def/language-skill/{skill}"))
            rg.add(requirement, self.term("minimumLevel"), self.iri(f"def/cefr-level/{level}"))
            rg.add(requirement, self.term("languageName"), self.nl(name))
            if code:
                rg.add(requirement, self.term("language"), ox.NamedNode(ISO639 + code))
            rg.add(statement, self.term("hasRequirement"), requirement)

    def onderhoudsagenda(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(element, ("agenda", "toelichting"), ("titel", "hoofdstuk"))
        agenda = element.find("agenda")
        if agenda is not None:
            self.expect(agenda, ("onderdeel",))
            for position, row in enumerate(agenda.findall("onderdeel"), 1):
                self.expect(row, ("onderwerp", "actie", "wie", "wanneer"))
                item = self.iri(f"id/agenda-item/{self.nr}-{position}")
                g = self.located(row, f"onderdeel-{self.nr}-{position}", dossier)
                g.add(item, RDF_TYPE, self.term("MaintenanceAgendaItem"))
                g.add(item, self.term("dossier"), dossier)
                g.add(item, self.term("position"), self.typed(str(position), "integer"))
                for tag, prop in (
                    ("onderwerp", "subject"),
                    ("actie", "action"),
                    ("wie", "who"),
                    ("wanneer", "when"),
                ):
                    cell = row.find(tag)
                    text = clean_text(cell.text or "") if cell is not None else ""
                    if not text:
                        raise self.fail(row, f"<onderdeel> of the onderhoudsagenda needs a non-empty <{tag}>")
                    g.add(item, self.term(prop), self.nl(text))
        toelichting = element.find("toelichting")
        if toelichting is not None:
            self.narrative(toelichting, "agendatoelichting", dossier)

    def wijzigingen(self, element: Element, dossier: ox.NamedNode) -> None:
        self.expect(element, ("wijzigingscategorien", "omschrijving"), ("titel", "hoofdstuk"))
        categories = element.find("wijzigingscategorien")
        if categories is not None:
            self.expect(categories, ("wijzigingscategorie",))
            for category in categories.findall("wijzigingscategorie"):
                self.expect(category, (), ("titel", "categorie"))
                number = self.required(category, "categorie")
                if number not in ("1", "2", "3", "4"):
                    raise self.fail(category, f"categorie={number!r} is not a change category (1, 2, 3 or 4)")
                g = self.located(category, f"wijzigingscategorie-{self.nr}-{number}", dossier)
                g.add(dossier, self.term("changeCategory"), self.iri(f"def/change-category/{number}"))
        omschrijving = element.find("omschrijving")
        if omschrijving is not None:
            self.narrative(omschrijving, "wijzigingsomschrijving", dossier)


class _Graph:
    """The statements of one provenance graph."""

    def __init__(self, importer: _Importer, name: ox.NamedNode):
        self.importer, self.name = importer, name

    def add(self, subject: ox.NamedNode, predicate: ox.NamedNode, obj: ox.NamedNode | ox.Literal) -> None:
        self.importer.quads.append(ox.Quad(subject, predicate, obj, self.name))


def _number_paths(root: Element) -> None:
    """Give every element its parent and its step (``tag[n]``), from which ``Element.path`` is built.

    Iterative, so a hostile file nested a million deep costs memory, not the interpreter's stack.
    """
    pending = [root]
    while pending:
        element = pending.pop()
        counts: dict[str, int] = {}
        for child in element:
            counts[child.tag] = counts.get(child.tag, 0) + 1
            child.parent, child.step = element, f"{child.tag}[{counts[child.tag]}]"  # type: ignore[attr-defined]
            pending.append(child)


def import_sbb(path: Path, content: bytes, base: str = DEFAULT_BASE) -> ImportResult:
    """The quads SBB XML ``content`` (read from ``path``) says, and the warnings of its import."""
    root = parse_sbb_xml(path, content)
    importer = _Importer(path, content, base)
    importer.run(root)
    quads = list(dict.fromkeys(importer.quads))
    return ImportResult(quads, importer.warnings, importer.dossiers)
