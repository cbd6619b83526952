"""The lawyer's calendar feed: the page that gives its address, and the feed itself.

``lawyer/calendar/`` shows the lawyer's own secret address (https and ``webcal://``, and
as a QR code drawn here as inline SVG), lets them choose what the events show (names and
phone numbers only after ticking a warning) and make a new address. Plain forms: no
JavaScript needed. The first visit makes the feed, so that the page always has an
address to show.

``calendar/<key>/<secret>.ics`` is fetched by calendar apps without a session: the
address is the credential. An unknown key, a wrong secret, a replaced address and the
address of a lawyer who can no longer sign in all answer the same 404. The ETag and
Last-Modified come from one query (``booking.feed_selectors.get_feed_state``; three when what it
keeps per process has expired), so a conditional request for an unchanged feed is
answered 304 before any event is built.

Rate limits (``RATE_LIMITS``, config/settings.py): only a feed built in full for the
right secret counts, against ``"feed"`` (the key's budget and the address's); a 304 is
not counted. A wrong secret or an unknown key counts against ``"feed_guess"``, per
address, and over it answers 429 instead of 404: guessing from one address costs that
address only, and never uses up the lawyer's real feed.
"""

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from booking import feed_selectors, ical
from booking.access_log import FEED_DETAILS, Seen, client_ip, record_access
from booking.models import AccessPlace, CalendarFeed, FeedPrivacy
from booking.ratelimit import too_many, within_limit
from booking.services.calendar import get_or_create_feed, rotate_feed, set_feed_privacy
from booking.web.access import lawyer_required

# Calendar apps keep their own schedule (the feed asks for hourly); this only stops a
# browser or proxy from keeping the feed longer than a quarter of an hour.
FEED_CACHE_CONTROL = "private, max-age=900"

ROTATED = _(
    "Your calendar has a new address. The old one no longer works: subscribe again with "
    "the new one on each of your devices."
)
PRIVACY_SAVED = _("Saved. Subscribed calendars show the change when they next fetch the calendar.")
FULL_NOT_CONFIRMED = _(
    "To show names and phone numbers, tick the box to confirm that you have read the warning."
)


class PrivacyForm(forms.Form):
    privacy = forms.ChoiceField(
        label=_("What the events show"), choices=FeedPrivacy.choices, widget=forms.RadioSelect
    )
    understood = forms.BooleanField(
        label=_(
            "I understand that residents' names and phone numbers then leave this site "
            "and are kept by my calendar service."
        ),
        required=False,
    )

    def __init__(self, *args, current: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current

    def clean(self):
        cleaned = super().clean()
        # Asked when names are about to be shown, not again on saving the same choice.
        full = FeedPrivacy.FULL
        choosing_full = cleaned.get("privacy") == full and self.current != full
        if choosing_full and not cleaned.get("understood"):
            self.add_error("understood", FULL_NOT_CONFIRMED)
        return cleaned


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage)
    # Drawn by qrcode from our own address: no user input reaches the markup.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def _render_settings(request: HttpRequest, feed: CalendarFeed, form: PrivacyForm):
    feed_url = request.build_absolute_uri(
        reverse("booking:calendar_feed", kwargs={"key": feed.key, "secret": feed.secret})
    )
    webcal_url = "webcal://" + feed_url.split("://", 1)[1]
    context = {
        "feed": feed,
        "feed_url": feed_url,
        "webcal_url": webcal_url,
        "qr_svg": _qr_svg(webcal_url),
        "form": form,
    }
    return render(request, "booking/lawyer/calendar.html", context)


@never_cache  # the page holds the secret address
@lawyer_required
def calendar_settings(request):
    feed = get_or_create_feed(lawyer=request.lawyer)
    form = PrivacyForm(initial={"privacy": feed.privacy}, current=feed.privacy)
    return _render_settings(request, feed, form)


@never_cache
@lawyer_required
@require_POST
def calendar_privacy(request):
    feed = get_or_create_feed(lawyer=request.lawyer)
    form = PrivacyForm(request.POST, current=feed.privacy)
    if not form.is_valid():
        return _render_settings(request, feed, form)
    set_feed_privacy(lawyer=request.lawyer, privacy=form.cleaned_data["privacy"])
    messages.success(request, PRIVACY_SAVED)
    return redirect("booking:calendar_settings")


@lawyer_required
@require_POST
def calendar_rotate(request):
    rotate_feed(lawyer=request.lawyer)
    messages.success(request, ROTATED)
    return redirect("booking:calendar_settings")


# Not translated: the same answer whatever the request's language.
FEED_NOT_FOUND = "No calendar at this address. 此地址没有日程。\n"


@require_safe
def calendar_feed(request, key: str, secret: str):
    # Django's ``condition`` decorator would read the state once for each validator and
    # add a layer per request: ``get_conditional_response``, which it is built on, is
    # called directly instead, on the hot path of every subscribed calendar.
    state = feed_selectors.get_feed_state(key=key, secret=secret)
    if state is None:
        if not within_limit(request, "feed_guess"):
            return too_many(request)
        # The same few bytes for every wrong address (no page, no path echoed back): a
        # calendar client shows nothing of it, and a guess learns nothing from it.
        return HttpResponseNotFound(FEED_NOT_FOUND, content_type="text/plain; charset=utf-8")
    host = request.get_host()
    origin = f"{request.scheme}://{host}"
    etag = state.etag(origin=origin)
    last_modified = int(state.last_modified.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        if not within_limit(request, "feed", key=key):
            return too_many(request)
        rows = feed_selectors.list_feed_appointments(state)
        body = ical.lawyer_calendar(state, rows, origin=origin, host=host)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        if state.privacy == FeedPrivacy.FULL:
            # Names and numbers went to the lawyer's phone: logged, once a day per event.
            record_access(
                viewer=feed_selectors.get_feed_viewer(state),
                appointments=[Seen(row.pk, row.resident_id, row.office.pk) for row in rows],
                place=AccessPlace.FEED,
                details=FEED_DETAILS,
                ip=client_ip(request),
            )
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(last_modified)
    response.headers["Cache-Control"] = FEED_CACHE_CONTROL
    # The lawyer's language, not the one LocaleMiddleware chose for the request.
    response.headers["Content-Language"] = state.language
    return response


urlpatterns = [
    path("lawyer/calendar/", calendar_settings, name="calendar_settings"),
    path("lawyer/calendar/privacy/", calendar_privacy, name="calendar_privacy"),
    path("lawyer/calendar/new-address/", calendar_rotate, name="calendar_rotate"),
    path("calendar/<str:key>/<str:secret>.ics", calendar_feed, name="calendar_feed"),
]
