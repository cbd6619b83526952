from booking.models.access_log import AccessLog, AccessPlace
from booking.models.appointment import BLOCKING_STATUSES, Appointment, Channel, Mode, Status
from booking.models.calendar_feed import CalendarFeed, FeedPrivacy
from booking.models.desk import SentSummary, WalkIn, WalkInStatus
from booking.models.follow_ups import FollowUp, FollowUpStatus
from booking.models.lawyer import AvailabilityRule, Lawyer, TimeOff, Weekday
from booking.models.notes import AppointmentNote
from booking.models.office import Office, SummaryChannel, Topic
from booking.models.roster import DutyDay, DutyException
from booking.models.version import ScheduleVersion

__all__ = [
    "BLOCKING_STATUSES",
    "AccessLog",
    "AccessPlace",
    "Appointment",
    "AppointmentNote",
    "AvailabilityRule",
    "CalendarFeed",
    "Channel",
    "DutyDay",
    "DutyException",
    "FeedPrivacy",
    "FollowUp",
    "FollowUpStatus",
    "Lawyer",
    "Mode",
    "Office",
    "ScheduleVersion",
    "SentSummary",
    "Status",
    "SummaryChannel",
    "TimeOff",
    "Topic",
    "WalkIn",
    "WalkInStatus",
    "Weekday",
]
