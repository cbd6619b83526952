"""The lawyer's pages: agenda, hours and time off, calendar feed (templates/booking/lawyer/)."""
