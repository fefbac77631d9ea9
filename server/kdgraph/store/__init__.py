"""The data as served: the layout of every store, the state directory with its versions (each
built atomically, with its dumps), what is served now and how a reload switches, and publishing
a version to an external store.

May import the data pipeline and the checks (a version is built only from checked files); never
the web layer.
"""
