"""Views of the booking app, one module per audience: the public, the resident."""
