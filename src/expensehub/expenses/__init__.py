"""Expensables, expenses, mileages, per diems; approvals and duplicate detection."""
