"""Exports: one pipeline, four writers (CSV, XLSX, Parquet, JSON Lines), templates, scheduled reports."""
