from datetime import UTC

from django.shortcuts import render
from django.utils import timezone

from booking import selectors
from booking.models import Office
from booking.pagecache import cache_public_page, next_midnight


@cache_public_page
def home(request):
    """What the office offers, who is on duty today, and the way to book."""
    offices = list(Office.objects.order_by("name"))
    on_duty = {}
    if offices:
        today = timezone.localdate(timezone=offices[0].tz)
        on_duty = selectors.list_on_duty(offices=offices, day=today)
    sections = [(office, on_duty.get(office.pk, [])) for office in offices]
    # The areas of law that some office offers (each office's own list is on its page).
    topics = selectors.get_offered_topics()
    response = render(request, "booking/home.html", {"sections": sections, "topics": topics})
    now = timezone.now()
    response.holds_until = next_midnight(now, offices[0].tz if offices else UTC)
    return response
