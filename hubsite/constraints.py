"""Database constraints that only PostgreSQL can hold, declared on the models like any other.

An exclusion constraint ("no two rows whose ranges overlap") needs PostgreSQL's GiST indexes and the
`btree_gist` extension; SQLite has neither, and Django's own `ExclusionConstraint` would write SQL
that SQLite refuses. Django's schema editor skips a constraint whose SQL is None (that is how a
`UniqueConstraint` with a condition is skipped on a database without partial indexes), so this
subclass returns None there: the same migration runs on both, and on SQLite the service's check
under its row lock (transactions there are `BEGIN IMMEDIATE`, so they run one at a time) stays the
guard. `django.contrib.postgres` is installed only on PostgreSQL (hubsite/settings.py), so its
"must be installed" check is asked only there.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import models


class TsTzRange(models.Func):
    """`tstzrange(start, end, '[)')`: the half-open span from start to end, as PostgreSQL sees it."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint on PostgreSQL, nothing on any other database.

    It never validates in Python: the service that writes the rows checks the same rule first,
    under a row lock, and words the message (naming what is in the way); the constraint is the
    database's last word when something reaches it without the service's check.
    """

    @staticmethod
    def _on_postgres(schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql"

    def constraint_sql(self, model, schema_editor):
        return super().constraint_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def create_sql(self, model, schema_editor):
        return super().create_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def remove_sql(self, model, schema_editor):
        return super().remove_sql(model, schema_editor) if self._on_postgres(schema_editor) else None

    def _check_postgres_installed(self, *args):
        # check(model, connection): the app is needed only where the constraint exists.
        connection = args[1] if len(args) > 1 else None
        if connection is not None and connection.vendor != "postgresql":
            return []
        return super()._check_postgres_installed(*args)

    def validate(self, model, instance, exclude=None, using=None):
        return None
