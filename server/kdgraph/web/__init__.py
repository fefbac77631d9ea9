"""The HTTP layer: a Flask app factory and one blueprint per concern; the only folder (with
``serving``, which starts it) that imports Flask. Errors become responses in one table
(``errors``), negotiation and ``Vary`` in one module (``negotiation``)."""
