# Dates as English readers write them: "4 December 2026", "4 December 2026, 15:15",
# not Django's "Dec. 4, 2026". Pages that name the weekday too use the filters of
# booking/templatetags/when.py ("Friday 4 December 2026, 15:15").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
