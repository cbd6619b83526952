"""The desk's and the office head's pages (templates/booking/desk/)."""
