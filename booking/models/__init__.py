from booking.models.appointment import BLOCKING_STATUSES, Appointment, Mode, Status
from booking.models.lawyer import AvailabilityRule, Lawyer, TimeOff, Weekday
from booking.models.office import Office, Topic
from booking.models.version import ScheduleVersion

__all__ = [
    "BLOCKING_STATUSES",
    "Appointment",
    "AvailabilityRule",
    "Lawyer",
    "Mode",
    "Office",
    "ScheduleVersion",
    "Status",
    "TimeOff",
    "Topic",
    "Weekday",
]
