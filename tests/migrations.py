"""Migrating the test database to a point in its history and back, for tests of data migrations."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to ``targets`` ((app, migration or None) pairs); the apps as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def migrate_to_latest():
    """Migrate every app forward to its newest migration; the apps as they are now."""
    return migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
