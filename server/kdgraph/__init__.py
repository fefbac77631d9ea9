"""kdgraph: the knowledge graph of Dutch MBO qualification dossiers."""

__version__ = "0.1.0"

DEFAULT_BASE = "https://w3id.org/kdgraph/"
