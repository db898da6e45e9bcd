"""The gateway's database: SQLAlchemy Core over SQLite (default) or PostgreSQL, by URL."""
