"""SQLAlchemy 2 async adapters for PostgreSQL (asyncpg) and SQLite (aiosqlite), seed schema."""
