"""expensehub: a self-hostable expense platform with a Factorial-compatible API."""

__version__ = "0.1.0"
