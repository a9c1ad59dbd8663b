"""The background process: scheduled reports (and later webhook delivery and purges)."""
