"""The ``expensehub`` command line."""
