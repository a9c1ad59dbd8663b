"""Mirroring a remote Factorial-compatible account into a local company (``expensehub sync``)."""
