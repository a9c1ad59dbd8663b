"""Database: engine and session factory, declarative base, portable column types, migrations."""
