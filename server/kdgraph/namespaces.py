"""The prefixes kdgraph writes and offers, in one place (export, query UI, docs)."""

from __future__ import annotations

from kdgraph import DEFAULT_BASE


def prefixes(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Prefix -> namespace IRI, with our own namespaces under ``base``."""
    ours = {
        "kd": f"{base}def/kd#",
        "mbo": f"{base}def/mbo-level/",
        "nlqf": f"{base}def/nlqf-level/",
        "cefr": f"{base}def/cefr-level/",
        "skill": f"{base}def/language-skill/",
        "theme": f"{base}def/trend-theme/",
        "cat": f"{base}def/change-category/",
        "srole": f"{base}def/stakeholder-role/",
        "tkind": f"{base}def/route-target-kind/",
        "lskind": f"{base}def/language-statement-kind/",
        "comp": f"{base}def/sbb-competence/",
        "textkind": f"{base}def/dossier-text-kind/",
    }
    for kind in (
        "dossier",
        "qualification",
        "document",
        "section",
        "location",
        "organisation",
        "involvement",
        "route",
        "role",
        "programme",
        "trend",
        "language-statement",
        "language-requirement",
        # the SBB structure (kdgraph.pipeline.sbb_import)
        "core-task",
        "work-process",
        "knowledge-skill",
        "crebo-registration",
        "education-domain",
        "sector-chamber",
        "dossier-text",
        "profile-addition",
        "agenda-item",
        "source-document",
        "xml-location",
        "source-file",
    ):
        ours[kind.replace("-", "")] = f"{base}id/{kind}/"
    return {
        **ours,
        "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
        "dcterms": "http://purl.org/dc/terms/",
        "prov": "http://www.w3.org/ns/prov#",
        "org": "http://www.w3.org/ns/org#",
        "schema": "https://schema.org/",
        "elm": "http://data.europa.eu/snb/model/elm/",
        "eqf": "http://data.europa.eu/snb/eqf/",
        "sh": "http://www.w3.org/ns/shacl#",
    }
