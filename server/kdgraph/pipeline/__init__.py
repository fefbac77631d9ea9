"""The data pipeline: input files -> checked bytes -> quads, and the importers that make our data.

Owns reading outside formats (SBB's dossier XML) into our model, with the provenance of every
statement. May import the loading layer's types (``kdgraph.pipeline.loading``) and the namespaces; never
the web layer or the query path: an importer is a pure function of the bytes it is given.
"""
