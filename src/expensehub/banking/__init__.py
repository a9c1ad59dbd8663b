"""Bank accounts, cards, card payments, transactions, and feed importers (CSV, CAMT.053, OFX)."""
