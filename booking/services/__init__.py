"""Every write of the booking domain, one module per concern; the names live here too.

- ``appointments``: book, cancel, reschedule (the resident's and the desk's writes).
- ``outcomes``: what the lawyer records after a consultation (attended, notes, follow-ups).
- ``availability``: weekly hours and time off, with the appointments a change strands.
- ``calendar``: the lawyer's calendar feed (its secret address, rotation, privacy level).
"""

from booking.services.appointments import (
    book_appointment,
    cancel_appointment,
    reschedule_appointment,
)

__all__ = ["book_appointment", "cancel_appointment", "reschedule_appointment"]
