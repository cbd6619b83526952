"""The desk's pages: for now the follow-ups that lawyers asked the office to arrange.

Desk staff and office admins see their own office only: any other follow-up answers
404. They see who to invite (name, phone, lawyer, date, the lawyer's note for the office),
never what the resident wrote about the matter.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking import selectors
from booking.access_log import log_access
from booking.errors import BookingError
from booking.models import AccessPlace, FollowUp
from booking.services.follow_ups import close_follow_up, invite_follow_up
from booking.web.access import as_id, desk_required
from sms.selectors import get_first_send_time

INVITED = _("The invitation is on its way to %(name)s.")
INVITED_LATER = _(
    "The office sends no texts at this hour: the invitation will be sent to %(name)s %(when)s."
)
CLOSED = _("Recorded.")


@desk_required
def follow_ups(request):
    """Due and overdue follow-ups; invite by SMS in one click, or record how it ended."""
    if request.method == "POST":
        follow_up = get_object_or_404(
            FollowUp.objects.select_related("appointment"),
            pk=as_id(request.POST.get("follow_up")),
            appointment__office=request.office,
        )
        action = request.POST.get("action")
        try:
            if action == "invite":
                invite_follow_up(follow_up=follow_up, by=request.user)
                name = follow_up.appointment.resident
                goes = get_first_send_time(office=request.office, now=timezone.now())
                if goes.later:
                    messages.success(request, INVITED_LATER % {"name": name, "when": goes.when})
                else:
                    messages.success(request, INVITED % {"name": name})
            elif action in ("booked", "closed"):
                close_follow_up(
                    follow_up=follow_up,
                    booked=action == "booked",
                    outcome=request.POST.get("outcome", "")[:300],
                )
                messages.success(request, CLOSED)
        except BookingError as refused:
            messages.error(request, refused.message)
        return redirect("booking:desk_follow_ups")
    open_follow_ups = selectors.list_open_follow_ups(office=request.office)
    log_access(
        request,
        [follow_up.appointment for follow_up in open_follow_ups],
        place=AccessPlace.DESK,
        details=("name", "phone"),
    )
    context = {
        "follow_ups": open_follow_ups,
        "today": timezone.localdate(),
    }
    return render(request, "booking/desk/follow_ups.html", context)
