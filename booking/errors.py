"""Domain errors of booking, each with the message shown to the person who acted."""

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from booking.models import Appointment

SLOT_TAKEN = _("Sorry, someone else has just booked this time. Please choose another.")
SLOT_NOT_OFFERED = _("This time cannot be booked. Please choose one of the times offered.")
TOO_MANY_ACTIVE_BOOKINGS = _(
    "You already have %(limit)d upcoming consultations at this office, the most one person "
    "can hold. Cancel one, or wait until it has taken place, to book another."
)
TOO_LATE_TO_CANCEL = _(
    "It is too late to cancel or move this consultation online. Please call the office."
)
NOT_ACTIVE = _("This consultation has already been cancelled or has taken place.")
ALREADY_STARTED = _("This consultation has already started.")
TIME_GONE = _("Sorry, this time is no longer free. Please choose one of the nearest free times.")
# Neutral on purpose: it must not tell the resident that their other party consulted the
# office (booking/conflicts.py).
CONFLICT_OF_INTEREST = _(
    "This lawyer cannot take your matter. Please choose another time or lawyer."
)


class BookingError(Exception):
    """A booking rule refused the request; ``message`` says why, in the active language."""

    code = "booking_error"
    message_template = SLOT_NOT_OFFERED

    def __init__(self, **params):
        self.params = params
        super().__init__(self.code)

    @property
    def message(self) -> str:
        text = str(self.message_template)
        return text % self.params if self.params else text


COOLING_DOWN = _(
    "You did not come to, or cancelled late, %(strikes)d consultations recently, so you "
    "cannot book online until %(until)s. If you need advice sooner, please call the office: "
    "%(phone)s."
)
NO_NUMBER_TO_CALL = _(
    "A consultation by phone needs the resident's mobile number. Please choose one in person."
)


class NoNumberToCall(BookingError):
    code = "no_number_to_call"
    message_template = NO_NUMBER_TO_CALL


class SlotTaken(BookingError):
    code = "slot_taken"
    message_template = SLOT_TAKEN


class SlotNotOffered(BookingError):
    code = "slot_not_offered"
    message_template = SLOT_NOT_OFFERED


class TooManyActiveBookings(BookingError):
    """Needs ``limit``."""

    code = "too_many_active_bookings"
    message_template = TOO_MANY_ACTIVE_BOOKINGS


class CoolingDown(BookingError):
    """Needs ``strikes``, ``until`` (a date as text) and ``phone`` (the office's)."""

    code = "cooling_down"
    message_template = COOLING_DOWN


class TooLateToCancel(BookingError):
    code = "too_late_to_cancel"
    message_template = TOO_LATE_TO_CANCEL


class NotActive(BookingError):
    code = "not_active"
    message_template = NOT_ACTIVE


class AlreadyStarted(BookingError):
    code = "already_started"
    message_template = ALREADY_STARTED


class TimeGone(BookingError):
    """The time chosen on an earlier page is no longer offered (taken, or too soon now)."""

    code = "time_gone"
    message_template = TIME_GONE


NOT_YOUR_APPOINTMENT = _("This is not one of your appointments.")
OUTCOME_TOO_EARLY = _("You can record whether the resident came once the consultation has begun.")


class NotYourAppointment(BookingError):
    code = "not_your_appointment"
    message_template = NOT_YOUR_APPOINTMENT


class OutcomeTooEarly(BookingError):
    code = "outcome_too_early"
    message_template = OUTCOME_TOO_EARLY


class ConflictOfInterest(BookingError):
    """The lawyer advised the other party that the booking names (booking/conflicts.py)."""

    code = "conflict_of_interest"
    message_template = CONFLICT_OF_INTEREST


FOLLOW_UP_NOT_OPEN = _("This follow-up has already been closed.")
NO_MOBILE_NUMBER = _(
    "This resident has no mobile number: please call or write, then record the outcome."
)


class FollowUpNotOpen(BookingError):
    code = "follow_up_not_open"
    message_template = FOLLOW_UP_NOT_OPEN


class NoMobileNumber(BookingError):
    code = "no_mobile_number"
    message_template = NO_MOBILE_NUMBER


MATTER_CONSENT_NEEDED = _(
    "What the resident says about the matter and the other party is kept only with their "
    "own agreement to it, given separately from the privacy notice."
)


class MatterConsentNeeded(BookingError):
    """A summary or other party without the consent to keep them (PIPL art. 29)."""

    code = "matter_consent_needed"
    message_template = MATTER_CONSENT_NEEDED


class TextNotAccepted(BookingError):
    """Typed text that accounts/text.py refuses; the message is that module's."""

    code = "text_not_accepted"

    def __init__(self, refused):
        super().__init__()
        self.code = refused.code
        self.message_template = refused.message


# The walk-in queue (booking/services/walk_ins.py).
NOT_WAITING = _("This person has already been sent to a lawyer or has left.")
OTHER_DAY = _("This number was given on another day.")
NOT_LEFT = _("This person is not marked as left: they are waiting or with a lawyer.")
ALREADY_WAITING = _("This resident is already waiting, with number %(number)s.")
NOT_AT_OFFICE = _("This lawyer does not work at this office.")
LAWYER_BUSY = _("%(lawyer)s is with someone until %(until)s.")
LAWYER_SOON = _("%(lawyer)s has a consultation at %(at)s.")
LAWYER_AWAY = _("%(lawyer)s is not available until %(until)s.")
# Neutral: says nothing about whom the lawyer advised.
WALK_IN_CONFLICT = _("This lawyer cannot take this matter. Please send the person to another.")


class WalkInNotWaiting(BookingError):
    code = "walk_in_not_waiting"
    message_template = NOT_WAITING


class WalkInNotLeft(BookingError):
    code = "walk_in_not_left"
    message_template = NOT_LEFT


class WalkInOtherDay(BookingError):
    code = "walk_in_other_day"
    message_template = OTHER_DAY


class AlreadyWaiting(BookingError):
    """Needs ``number`` (as shown, 007)."""

    code = "already_waiting"
    message_template = ALREADY_WAITING


class LawyerNotAtOffice(BookingError):
    code = "lawyer_not_at_office"
    message_template = NOT_AT_OFFICE


class LawyerBusy(BookingError):
    """In a consultation now. Needs ``lawyer`` and ``until``."""

    code = "lawyer_busy"
    message_template = LAWYER_BUSY


class LawyerBusySoon(BookingError):
    """A consultation starts within ``MIN_FREE`` (booking/services/walk_ins.py).

    Needs ``lawyer`` and ``at``.
    """

    code = "lawyer_busy_soon"
    message_template = LAWYER_SOON


class LawyerAway(BookingError):
    """Time off now. Needs ``lawyer`` and ``until``."""

    code = "lawyer_away"
    message_template = LAWYER_AWAY


class WalkInConflict(ConflictOfInterest):
    code = "conflict_of_interest"
    message_template = WALK_IN_CONFLICT


# Hours and time off (booking/services/availability.py).
STRANDED = _(
    "This change affects booked consultations. Choose for each one whether to keep it or "
    "to cancel it."
)
STRANDED_CHANGED = _(
    "The booked consultations affected by this change have changed since you looked. "
    "Nothing has been changed yet: please choose again."
)


class DecisionsNeeded(BookingError):
    """The change strands ``stranded`` appointments; nothing was changed.

    ``changed`` is true when decisions were given, but for another set of appointments
    than the one stranded now (one was booked or cancelled meanwhile).
    """

    code = "decisions_needed"
    message_template = STRANDED

    def __init__(self, *, stranded: "list[Appointment]", changed: bool):
        super().__init__()
        self.stranded = stranded
        self.changed = changed

    @property
    def message(self) -> str:
        return str(STRANDED_CHANGED if self.changed else STRANDED)


# Follow-up invitations (booking/services/follow_ups.py).
TEXT_DOES_NOT_FIT = _(
    "The invitation cannot go as a text message: the office's name, place or phone is "
    "too long for one. An office admin can shorten them under Offices; meanwhile please "
    "call the resident."
)


class TextDoesNotFit(BookingError):
    code = "text_does_not_fit"
    message_template = TEXT_DOES_NOT_FIT


# Check-in at the desk (booking/services/check_in.py).
CHECK_IN_NOT_BOOKED = _(
    "Only a booked consultation can be checked in: this one is cancelled or already recorded."
)
CHECK_IN_NOT_TODAY = _("Residents can be checked in only on the day of their consultation.")
CHECK_IN_OTHER_OFFICE = _("This consultation is at another office.")
CHECK_IN_BY_PHONE = _("A consultation by phone has no check-in: the lawyer calls the resident.")


class CheckInNotBooked(BookingError):
    code = "check_in_not_booked"
    message_template = CHECK_IN_NOT_BOOKED


class CheckInNotToday(BookingError):
    code = "check_in_not_today"
    message_template = CHECK_IN_NOT_TODAY


class CheckInOtherOffice(BookingError):
    code = "check_in_other_office"
    message_template = CHECK_IN_OTHER_OFFICE


class CheckInByPhone(BookingError):
    code = "check_in_by_phone"
    message_template = CHECK_IN_BY_PHONE


# The desk's handles on a resident (booking/desk_residents.py).


class HandleRefused(Exception):
    """Not a handle this clerk was given: forged, altered, another clerk's or office's."""


class HandleExpired(Exception):
    """This clerk's handle, older than ``HANDLE_MAX_AGE`` (booking/desk_residents.py)."""
