"""What pages for people are made of, apart from the web layer (citations, ...)."""
