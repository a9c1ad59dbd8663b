"""Documents and folders, file storage, expiring download URLs, receipt bundles."""
