"""Persistence: SQLModel tables, engine/session, repositories (the only place with select/commit)
and Alembic migrations. SQLite by default, PostgreSQL through DATABASE_URL."""
