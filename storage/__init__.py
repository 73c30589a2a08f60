"""Persistence: SQLAlchemy models, repositories (which never commit) and the unit of work."""
