from booking.models.appointment import BLOCKING_STATUSES, Appointment, Mode, Status
from booking.models.lawyer import AvailabilityRule, Lawyer, TimeOff, Weekday
from booking.models.lawyer_side import (
    AppointmentNote,
    CalendarFeed,
    FeedPrivacy,
    FollowUp,
    FollowUpStatus,
)
from booking.models.office import Office, Topic
from booking.models.roster import DutyDay, DutyException
from booking.models.version import ScheduleVersion

__all__ = [
    "BLOCKING_STATUSES",
    "Appointment",
    "AppointmentNote",
    "AvailabilityRule",
    "CalendarFeed",
    "DutyDay",
    "DutyException",
    "FeedPrivacy",
    "FollowUp",
    "FollowUpStatus",
    "Lawyer",
    "Mode",
    "Office",
    "ScheduleVersion",
    "Status",
    "TimeOff",
    "Topic",
    "Weekday",
]
