"""Domain-free helpers: money, cursors, time formatting. Imports neither SQLAlchemy nor HTTP."""
