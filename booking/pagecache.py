"""Public pages served from a cache while nothing they show can have changed.

The home page and the free times of an area of law are what most visitors load, most
of them not signed in. For such a visitor the page is the same for everyone, so it is
rendered once and kept in the process's "pages" cache under a key made of the address,
the language and the **schedule version**: one number in the database
(`ScheduleVersion`, bumped by booking/models/version.py) that every write changing
anyone's free time increases in its own transaction — the booking services, and changes
to offices, areas of law, lawyers, weekly hours and time off (booking/signals.py, since
the office admin edits those in the admin). The version is read first, then the page
is rendered: a page is never stored under a version newer than its data.

Time changes pages too: a view says until when its page holds (``response.holds_until``:
the moment the first free time falls inside the minimum notice, the next midnight), and
no entry is used longer than ``MAX_AGE`` — the backstop for what no version covers, such
as a lawyer's name changed in the admin.

Never cached: signed-in visitors (their pages carry their own links and CSRF tokens),
anything but GET, pages with a message to show, answers other than 200. Pages served
from here carry no CSRF token, which is why the language switch does not need one.
"""

from datetime import datetime, timedelta
from functools import wraps

from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import connection
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from booking.models import ScheduleVersion

MAX_AGE = timedelta(minutes=5)
CACHE_ALIAS = "pages"


def get_schedule_version() -> int:
    # Plain SQL: this runs on every cached page, and the ORM would cost more than the query.
    table = connection.ops.quote_name(ScheduleVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {table} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
    return row[0] if row else 0


def next_midnight(now: datetime, tz) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)


def _cacheable(request) -> bool:
    if request.method != "GET" or request.user.is_authenticated:
        return False
    return not len(get_messages(request))  # counting does not mark them read


def cache_public_page(view):
    """Serve ``view`` from the pages cache to visitors who are not signed in."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        cache = caches[CACHE_ALIAS]
        version = get_schedule_version()
        key = f"{version}:{get_language()}:{request.get_full_path()}"
        now = timezone.now()
        entry = cache.get(key)
        if entry is not None and now < entry[0]:
            _until, content, content_type = entry
            return HttpResponse(content, content_type=content_type)
        response = view(request, *args, **kwargs)
        holds_until = getattr(response, "holds_until", None)
        if response.status_code == 200 and holds_until is not None:
            if hasattr(response, "render"):
                response.render()
            until = min(holds_until, now + MAX_AGE)
            cache.set(key, (until, response.content, response["Content-Type"]), None)
        return response

    return wrapper
