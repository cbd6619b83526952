"""The resident's pages (templates/booking/)."""
