"""Card reconciliation: the pure matching engine, stored runs, proposals and decisions."""
