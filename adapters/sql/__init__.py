"""SQLAlchemy 2 async adapters for PostgreSQL (asyncpg) and SQLite (aiosqlite), on the seed schema."""
