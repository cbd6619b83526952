"""gunicorn's settings for this project, read from the working directory.

``gunicorn config.wsgi`` started in the project's directory reads this file by itself
(``-c gunicorn.conf.py`` from anywhere else). It keeps the SMS delivery-report token out
of gunicorn's access and error logs: the providers call a URL that holds it
(config/log_redaction.py). Everything else stays as given on the command line.
"""

import sys
from pathlib import Path

from gunicorn.glogging import Logger

sys.path.insert(0, str(Path(__file__).resolve().parent))

from config.log_redaction import RedactSecrets


class RedactingLogger(Logger):
    """gunicorn's logger, with the token taken out of every access and error line."""

    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(each, RedactSecrets) for each in log.filters):
                log.addFilter(RedactSecrets())


logger_class = RedactingLogger
