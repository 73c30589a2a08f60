"""Alembic migrations; applied by `kinerja db upgrade` and at start on SQLite."""
