from django.shortcuts import render
from django.utils import timezone

from booking import selectors
from booking.models import Office, Topic


def home(request):
    """What the office offers, who is on duty today, and the way to book."""
    offices = list(Office.objects.order_by("name"))
    on_duty = {}
    if offices:
        today = timezone.now().astimezone(offices[0].tz).date()
        on_duty = selectors.list_on_duty(offices=offices, day=today)
    sections = [(office, on_duty.get(office.pk, [])) for office in offices]
    topics = Topic.objects.filter(is_active=True)
    return render(request, "booking/home.html", {"sections": sections, "topics": topics})
