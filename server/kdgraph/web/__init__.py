"""The HTTP layer: a Flask app factory and one blueprint per concern."""
