"""The query path: request → protocol → safety → engine → serialise → response.

No web framework in here: every step works on plain data (the WSGI environ, text, pyoxigraph
terms) and raises errors of one family (``errors``), which the web layer maps to responses in
one table. May import the store's layout (an engine opens a store) and the serving layer's child
processes (the killable engines are children that die with their parent); never the web layer,
the pages or the catalogue (tests/test_layout.py).
"""
