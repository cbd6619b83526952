"""``manage.py retention [--dry-run]``: erase personal details past each office's
retention period now, and delete the access log and security log past
``SECURITY_LOG_DAYS``, or only report what would go.

The background worker (``manage.py sms_worker``) does the same about once an hour; this
command is for the dry-run report and for operators who run it from cron instead.
"""

from django.core.management.base import BaseCommand

from booking.services.retention import run_retention


class Command(BaseCommand):
    help = (
        "Erase personal details past each office's retention period and delete logs past "
        "SECURITY_LOG_DAYS (or report, dry)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be erased."
        )

    def handle(self, *, dry_run, **options):
        report = run_retention(dry_run=dry_run)
        for line in report.lines():
            self.stdout.write(line)
