"""Secrets kept out of log lines: two credentials travel in URLs.

The SMS providers call ``/sms/callbacks/<SMS_CALLBACK_TOKEN>/alibaba/`` (sms/views.py) and
calendar apps fetch ``/calendar/<key>/<secret>.ics`` (booking/views/lawyer/calendar.py).
Whatever logs a path would write them: Django's ``django.request`` logger ("Not Found:
/sms/callbacks/…" for every 4xx and 5xx), the development server's request lines,
gunicorn's access and error logs. ``RedactSecrets`` is a logging filter that replaces, in
the message and in a traceback, the path segment after ``/callbacks/`` (a right or a
wrong token alike: a wrong one may be an old or mistyped right one), a feed's secret
(its key stays, to tell feeds apart), and the configured token wherever else it
appears. ``LOGGING`` (config/settings.py) puts it on every handler; ``gunicorn.conf.py``
puts it on gunicorn's loggers.

Known limit: a reverse proxy in front keeps its own access log, which this cannot
reach; configure it not to log the path of ``/sms/callbacks/`` and ``/calendar/`` (nginx:
a ``location`` with its own ``access_log`` format without ``$request``).
"""

import logging
import os
import re

REDACTED = "[redacted]"
CALLBACK_SEGMENT = re.compile(r"(/callbacks/)[^/\s?#\"']+")
FEED_SECRET = re.compile(r"(/calendar/[^/\s?#\"']+/)[^/\s?#\"']+(\.ics)")


def _token() -> str:
    from django.conf import settings

    if settings.configured:
        return getattr(settings, "SMS_CALLBACK_TOKEN", "") or ""
    # gunicorn's master process logs before (or without) loading Django.
    return os.environ.get("SMS_CALLBACK_TOKEN", "")


def redact(text: str) -> str:
    """``text`` without the callback token."""
    token = _token()
    if token:
        text = text.replace(token, REDACTED)
    text = CALLBACK_SEGMENT.sub(rf"\g<1>{REDACTED}", text)
    return FEED_SECRET.sub(rf"\g<1>{REDACTED}\g<2>", text)


class RedactSecrets(logging.Filter):
    """Rewrites the record's message (and traceback) without the token; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: the handler reports it as usual
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
