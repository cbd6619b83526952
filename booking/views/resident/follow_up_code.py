"""``/f/``: the page a follow-up invitation names, where the resident types its code.

The text message carries the site's address as fixed text and a code
(booking/follow_up_codes.py), never a link in a variable; this page turns the code into
the booking of the same area of law at the same office, or the office's list of areas
for a discreet invitation's code. A GET form (a look-up that changes nothing), no
JavaScript; looks are rate-limited per address (``RATE_LIMITS["follow_up_code"]``).
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from booking import selectors
from booking.follow_up_codes import find_follow_up
from booking.link_notices import TOPIC_NOT_OFFERED
from booking.ratelimit import too_many, within_limit

UNKNOWN_CODE = _("This code is not known. Please check the text message, or call the office.")
NOT_OFFERED_ANY_MORE = TOPIC_NOT_OFFERED  # as for any stale link to the area


class FollowUpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=20,
        help_text=_("Eight digits, for example 1234 5678."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def follow_up_code(request):
    form = FollowUpCodeForm(request.GET if "code" in request.GET else None)
    if form.is_bound:
        if not within_limit(request, "follow_up_code"):
            return too_many(request)
        found = find_follow_up(form.cleaned_data["code"]) if form.is_valid() else None
        if found is None:
            form.add_error("code", UNKNOWN_CODE)
        else:
            office, topic = found
            if topic is None:
                return redirect("booking:topics", office=office.slug)
            if selectors.get_offered_topics(office=office).filter(pk=topic.pk).exists():
                return redirect("booking:slots", office=office.slug, topic=topic.code)
            messages.info(request, NOT_OFFERED_ANY_MORE)
            return redirect("booking:topics", office=office.slug)
    return render(request, "booking/follow_up_code.html", {"form": form})
