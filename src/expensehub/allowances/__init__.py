"""Per diem and mileage from statutory rules: a pure engine and effective-dated rate tables."""
