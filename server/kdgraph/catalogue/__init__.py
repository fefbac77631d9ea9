"""The saved queries: ``queries/*.rq`` with their headers, and the same catalogue as RDF
(sparql-examples) and as an OpenAPI description.

May import the query path's types (a saved query binds its parameters into a ``Query``); never
the web layer, which serves these as pages and an API.
"""
