"""Projects that expenses are booked to."""
