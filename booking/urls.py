from django.urls import include, path

from booking.views.desk import follow_ups
from booking.views.lawyer import agenda
from booking.views.resident import book, follow_up_code, home, mine, mydata

app_name = "booking"

urlpatterns = [
    path("", home.home, name="home"),
    path("book/", book.start, name="start"),
    path("book/<slug:office>/", book.topics, name="topics"),
    path("book/<slug:office>/<slug:topic>/", book.slots, name="slots"),
    path("book/<slug:office>/<slug:topic>/details/", book.details, name="details"),
    path("my/", mine.my_appointments, name="my_appointments"),
    # Before my/<reference>/: "data" is not a reference code, but the pattern would match.
    path("my/data/", mydata.my_data, name="my_data"),
    path("my/data.json", mydata.my_data_json, name="my_data_json"),
    path("my/data/withdraw/", mydata.withdraw, name="withdraw_consent"),
    path("my/data/matter/", mydata.withdraw_matter, name="withdraw_matter_consent"),
    path("my/data/delete/", mydata.delete, name="delete_account"),
    path("my/<str:reference>/", mine.appointment, name="appointment"),
    path("my/<str:reference>/calendar.ics", mine.appointment_calendar, name="appointment_ics"),
    path("my/<str:reference>/cancel/", mine.cancel, name="cancel"),
    path("my/<str:reference>/move/", mine.reschedule, name="reschedule"),
    path("my/<str:reference>/move/confirm/", mine.reschedule_confirm, name="reschedule_confirm"),
    path("lawyer/", agenda.agenda, name="agenda"),
    path("lawyer/week/", agenda.week, name="agenda_week"),
    path("lawyer/appointments/<str:reference>/", agenda.appointment, name="lawyer_appointment"),
    path(
        "lawyer/appointments/<str:reference>/follow-up/",
        agenda.follow_up_times,
        name="follow_up_times",
    ),
    path(
        "lawyer/appointments/<str:reference>/follow-up/confirm/",
        agenda.follow_up_confirm,
        name="follow_up_confirm",
    ),
    path("desk/follow-ups/", follow_ups.follow_ups, name="desk_follow_ups"),
    # Short: follow-up invitations give it as text (sms/registry.py, the site's address).
    path("f/", follow_up_code.follow_up_code, name="follow_up_code"),
    # Each module below lists its own paths (lawyer/hours/…, lawyer/calendar/…, calendar/…,
    # desk/…).
    path("", include("booking.views.lawyer.availability")),
    path("", include("booking.views.lawyer.calendar")),
    path("", include("booking.views.desk.book")),
    path("", include("booking.views.desk.queue")),
    path("", include("booking.views.desk.day")),
    path("", include("booking.views.desk.figures")),
]
