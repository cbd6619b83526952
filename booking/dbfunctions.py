"""Database functions that read a timestamp as whole seconds since the epoch.

The slot engine works in epoch seconds. Reading thousands of appointments as seconds
skips building a timezone-aware datetime per value in Python (the slowest part of a
month's free slots on PostgreSQL). Rounding is outwards — the start down, the end up —
so a busy interval read this way never shrinks.
"""

from django.db import NotSupportedError
from django.db.models import BigIntegerField, Func


class _Epoch(Func):
    arity = 1
    output_field = BigIntegerField()
    postgresql_function = ""

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError(f"{type(self).__name__} supports PostgreSQL and SQLite only.")

    def as_postgresql(self, compiler, connection, **extra_context):
        template = f"{self.postgresql_function}(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        return Func.as_sql(self, compiler, connection, template=template, **extra_context)


class EpochFloor(_Epoch):
    postgresql_function = "FLOOR"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite's strftime rounds fractions of a second: cut them off before.
        template = "CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
        return Func.as_sql(self, compiler, connection, template=template, **extra_context)


class EpochCeil(_Epoch):
    postgresql_function = "CEIL"

    def as_sqlite(self, compiler, connection, **extra_context):
        # Stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' in UTC: any fraction rounds up. The
        # percent sign is doubled twice: once for this template, once for the SQL params.
        template = (
            "(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER)"
            " + (CAST(substr(%(expressions)s, 21) AS INTEGER) > 0))"
        )
        return Func.as_sql(self, compiler, connection, template=template, **extra_context)
