"""What the project's own log handlers write: the handlers of ``LOGGING`` that carry the
redacting filter (config/log_redaction.py), so that tests read the real output."""

import io
import logging
from contextlib import contextmanager

from config.log_redaction import RedactSecrets


@contextmanager
def project_log():
    """The text the redacting handlers write while the block runs."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(each, RedactSecrets) for each in handler.filters)
    ]
    assert handlers, "LOGGING has no redacting handler"
    written = io.StringIO()
    previous = [handler.setStream(written) for handler in handlers]
    try:
        yield written
    finally:
        for handler, stream in zip(handlers, previous, strict=True):
            handler.setStream(stream)
