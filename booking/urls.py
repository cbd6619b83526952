from django.urls import include, path

from booking.views import book, desk, follow_up_code, home, lawyer, mine, mydata

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
    path("lawyer/", lawyer.agenda, name="agenda"),
    path("lawyer/week/", lawyer.week, name="agenda_week"),
    path("lawyer/appointments/<str:reference>/", lawyer.appointment, name="lawyer_appointment"),
    path(
        "lawyer/appointments/<str:reference>/follow-up/",
        lawyer.follow_up_times,
        name="follow_up_times",
    ),
    path(
        "lawyer/appointments/<str:reference>/follow-up/confirm/",
        lawyer.follow_up_confirm,
        name="follow_up_confirm",
    ),
    path("desk/follow-ups/", desk.follow_ups, name="desk_follow_ups"),
    # Short: follow-up invitations give it as text (sms/registry.py, the site's address).
    path("f/", follow_up_code.follow_up_code, name="follow_up_code"),
    # Each module below lists its own paths (lawyer/hours/…, lawyer/calendar/…, calendar/…,
    # desk/…).
    path("", include("booking.views.availability")),
    path("", include("booking.views.calendar")),
    path("", include("booking.views.desk_book")),
    path("", include("booking.views.desk_queue")),
    path("", include("booking.views.desk_day")),
    path("", include("booking.views.figures")),
]
