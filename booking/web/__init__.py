"""The HTTP side shared by the booking pages: who may open a page (``access``)."""
