"""The lawyer's agenda: today, the week, and one appointment with what it needs."""

from django.http import HttpResponse

from booking.views.access import lawyer_required


@lawyer_required
def agenda(request):
    return HttpResponse("")


@lawyer_required
def week(request):
    return HttpResponse("")


@lawyer_required
def appointment(request, reference: str):
    return HttpResponse("")
