"""The lawyer's calendar feed: its secret address, a new address on demand, its privacy.

The address is ``/calendar/<key>/<secret>.ics``: the key finds the row, the secret is
then compared in constant time (``booking.feed_selectors.get_feed_state``). Both come from
``secrets.token_urlsafe``; a new address replaces both, so the old one answers 404 like
any unknown address. Each lawyer has at most one feed (one-to-one): the lawyer's row is
locked before one is made, so two first visits at once do not both insert.
"""

import secrets

from django.db import transaction
from django.utils import timezone

from booking.models import CalendarFeed, Lawyer

KEY_BYTES = 16  # 22 characters; the key only finds the row
SECRET_BYTES = 32  # 43 characters, 256 bits


def _new_address(feed: CalendarFeed) -> None:
    feed.key = secrets.token_urlsafe(KEY_BYTES)
    feed.secret = secrets.token_urlsafe(SECRET_BYTES)


def _locked_feed(lawyer: Lawyer) -> CalendarFeed:
    """The lawyer's feed, locked; made first if there is none. Call inside a transaction."""
    Lawyer.objects.select_for_update().filter(pk=lawyer.pk).values_list("pk").get()
    feed = CalendarFeed.objects.select_for_update().filter(lawyer=lawyer).first()
    if feed is None:
        feed = CalendarFeed(lawyer=lawyer)
        _new_address(feed)
        feed.full_clean()
        feed.save()
    return feed


def get_or_create_feed(*, lawyer: Lawyer) -> CalendarFeed:
    """The lawyer's feed, made with a new secret address on first use."""
    feed = CalendarFeed.objects.filter(lawyer=lawyer).first()
    if feed is not None:  # the usual case, without taking the write lock
        return feed
    with transaction.atomic():
        return _locked_feed(lawyer)


@transaction.atomic
def rotate_feed(*, lawyer: Lawyer) -> CalendarFeed:
    """A new secret address; the old one answers 404 from the commit on."""
    feed = _locked_feed(lawyer)
    _new_address(feed)
    feed.rotated_at = timezone.now()
    feed.full_clean()
    feed.save(update_fields=["key", "secret", "rotated_at"])
    return feed


@transaction.atomic
def set_feed_privacy(*, lawyer: Lawyer, privacy: str) -> CalendarFeed:
    """What the events show: a ``FeedPrivacy`` value (``full_clean`` refuses others).

    The settings page asks the lawyer to confirm a warning before it asks for ``FULL``.
    """
    feed = _locked_feed(lawyer)
    feed.privacy = privacy
    feed.full_clean()
    feed.save(update_fields=["privacy"])
    return feed
