"""Finance reference data: categories, cost centres and memberships, ledger accounts and mappings."""
