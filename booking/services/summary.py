"""The daily summary of an office's counts, sent to its admins at the office's set times.

``send_due_summaries`` runs at every sweep of the background worker
(sms/management/commands/sms_worker.py). For each office whose ``summary_channel`` is
not off, the latest of today's ``summary_times`` that has passed (office time) is due
unless a ``SentSummary`` row for it exists. Only the latest: a worker that was down at
11:00 and comes back at 17:00 sends the 16:00 summary and never the 11:00 one.

Once per office, date and time: the ``SentSummary`` row is inserted first, in the same
transaction as the sending. A second worker inserting the same row waits for the first
one's transaction and then fails on the unique constraint, and skips. If sending fails
(an SMTP error), the transaction rolls back with the claim, and the next sweep tries
again. SMS are outbox rows written in that transaction (sms.services.queue_message),
delivered by the worker afterwards like any message: template ``summary``, or
``summary_no_free_time`` when no time is free (a time variable cannot say "none").

Known limits: with several admins by e-mail, a failure at the second address rolls
back a claim whose first e-mail has gone: the first admin gets it again on the retry.
The counts follow the small-number rule of ``booking.figures`` ("<5").

Chapter: docs/desk.md#the-daily-summary.
"""

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Role, User
from booking.dates import format_day
from booking.figures import DayCounts, get_day_counts, suppress
from booking.models import Office, SentSummary, SummaryChannel
from sms.models import Kind
from sms.rules import end_of_quiet
from sms.services import date_params, office_params, queue_message

logger = logging.getLogger(__name__)

SMALL_COUNT = "1-4"  # what the figures show as "<5"


def due_time(office: Office, now: dt.datetime) -> tuple[dt.date, dt.time] | None:
    """Today's latest summary time that has passed (office time), or None before the first."""
    local = now.astimezone(office.tz)
    passed = [at for at in office.summary_time_list if at <= local.time()]
    return (local.date(), passed[-1]) if passed else None


def _admins(office: Office) -> QuerySet[User]:
    return User.objects.filter(role=Role.OFFICE_ADMIN, office=office, is_active=True).order_by("pk")


def _language(user: User) -> str:
    return user.preferred_language or settings.LANGUAGE_CODE


def _shown(count: int) -> str:
    """A count as the text gives it: "<5" as "1-4" (templates reserve < and >)."""
    shown = suppress(count)
    return SMALL_COUNT if shown == "<5" else shown


def summary_message(office: Office, counts: DayCounts, language: str) -> tuple[str, dict]:
    """The SMS template and its parameters, in ``language``: the office's short name, the
    counts with small ones hidden, the next free time (sms/registry.py: dates as month and
    day, no variable longer than the providers take)."""
    with translation.override(language):
        params = {
            "office_name": office_params(office)["office_name"],
            "consultations": _shown(counts.consultations),
            "attended": _shown(counts.attended),
            "no_shows": _shown(counts.no_shows),
            "walk_ins": _shown(counts.walk_ins),
            "desk_bookings": _shown(counts.desk_bookings),
        }
    if counts.next_free is None:
        return "summary_no_free_time", params
    local = counts.next_free.start.astimezone(office.tz)
    return "summary", {
        **params,
        **date_params(local.date(), language, prefix="next_"),
        "next_time": f"{local:%H:%M}",
    }


def summary_params(office: Office, counts: DayCounts, language: str) -> dict[str, str]:
    """The e-mail's lines, in ``language``: the date, the counts as shown, the next free time."""
    with translation.override(language):
        date = format_day(counts.day, language)
        if counts.next_free is None:
            next_free = _("none")
        else:
            local = counts.next_free.start.astimezone(office.tz)
            next_free = format_day(local, language, with_time=True)
    return {
        "office_name": office.name,
        "date": date,
        "consultations": suppress(counts.consultations),
        "attended": suppress(counts.attended),
        "no_shows": suppress(counts.no_shows),
        "walk_ins": suppress(counts.walk_ins),
        "desk_bookings": suppress(counts.desk_bookings),
        "next_free": next_free,
    }


def _email_text(office: Office, params: dict[str, str], at: dt.time) -> tuple[str, str]:
    subject = _("%(office)s: figures of %(date)s, %(time)s") % {
        "office": office.name,
        "date": params["date"],
        "time": formats.time_format(at, "H:i"),
    }
    lines = [
        (_("Consultations today"), params["consultations"]),
        (_("Came"), params["attended"]),
        (_("Did not come"), params["no_shows"]),
        (_("Walk-ins"), params["walk_ins"]),
        (_("Booked at the desk today"), params["desk_bookings"]),
        (_("Next free time"), params["next_free"]),
    ]
    colon = pgettext("between a label and its value", ": ")
    body = "\n".join(f"{label}{colon}{value}" for label, value in lines)
    note = _("Counts from 1 to 4 are shown as <5. Full figures: the Figures page of the site.")
    return subject, f"{body}\n\n{note}\n"


def _send(office: Office, *, day: dt.date, at: dt.time, now: dt.datetime) -> int:
    """Send the summary to every admin who can get it; returns how many were addressed."""
    counts = get_day_counts(office=office, now=now)
    sent = 0
    for admin in _admins(office):
        language = _language(admin)
        if office.summary_channel == SummaryChannel.SMS and admin.phone:
            template, params = summary_message(office, counts, language)
            queue_message(
                kind=Kind.SUMMARY,
                template=template,
                recipient=str(admin.phone),
                params=params,
                language=language,
                idempotency_key=f"summary:{office.pk}:{day.isoformat()}:{at:%H%M}:{admin.pk}",
                not_before=end_of_quiet(
                    now,
                    tz=office.tz,
                    start=office.quiet_hours_start,
                    end=office.quiet_hours_end,
                ),
            )
            sent += 1
        elif office.summary_channel == SummaryChannel.EMAIL and admin.email:
            params = summary_params(office, counts, language)
            with translation.override(language):
                subject, body = _email_text(office, params, at)
            send_mail(subject, body, None, [admin.email])
            sent += 1
    return sent


def send_due_summaries(*, now: dt.datetime) -> int:
    """Send every office's due summary that nobody has sent yet; returns how many offices."""
    done = 0
    for office in Office.objects.exclude(summary_channel=SummaryChannel.OFF).order_by("pk"):
        try:
            due = due_time(office, now)
        except ValueError:  # a malformed setting saved around the validator
            logger.warning(
                "Office %s: summary times %r unreadable.", office.pk, office.summary_times
            )
            continue
        if due is None:
            continue
        day, at = due
        if SentSummary.objects.filter(office=office, date=day, at=at).exists():
            continue
        try:
            with transaction.atomic():
                claim = SentSummary.objects.create(
                    office=office, date=day, at=at, channel=office.summary_channel
                )
                claim.recipients = _send(office, day=day, at=at, now=now)
                claim.save(update_fields=["recipients"])
        except IntegrityError:
            continue  # another worker claimed it first
        except Exception:
            logger.exception("Summary of office %s for %s %s failed; retried.", office.pk, day, at)
            continue
        done += 1
    return done
