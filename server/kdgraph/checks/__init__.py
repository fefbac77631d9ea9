"""Everything that judges data before it is served or published: SHACL against our shapes and
the shapes generated from the ontology, the checks SHACL cannot express, and the findings they
report with the file and line of each statement.

May import the data pipeline (to read files and locate statements); never the web layer, the
serving processes or the query path: a check is a function of the files it is given.
"""
