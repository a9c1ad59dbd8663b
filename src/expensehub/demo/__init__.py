"""A deterministic, believable demo company."""
