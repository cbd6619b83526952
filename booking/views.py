from django.shortcuts import render

from booking.models import Office, Topic


def home(request):
    offices = Office.objects.order_by("name")
    topics = Topic.objects.filter(is_active=True)
    return render(request, "booking/home.html", {"offices": offices, "topics": topics})
