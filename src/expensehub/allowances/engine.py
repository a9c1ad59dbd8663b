"""The allowances engine: per diem and mileage from statutory rules (pure; no database, no HTTP).

Use ``compute_per_diem(Trip, Policy)`` and ``compute_mileage(MileageClaim)``. Rates come from the data files
in ``allowances/rates`` (see ``tables``), chosen by effective date; every result names the tables it used
and their legal sources. Bad input raises ``expensehub.errors.ValidationFailed`` (a 422 with a stable code).
"""

from __future__ import annotations

from expensehub.allowances.mileage import (
    KM_PER_MILE,
    UNITS,
    VEHICLES,
    MileageBand,
    MileageClaim,
    MileageResult,
    Point,
    TaxYear,
    compute_mileage,
    convert,
    haversine_km,
    tax_year,
)
from expensehub.allowances.perdiem import (
    DAY_KINDS,
    MEALS,
    Deduction,
    FixedRate,
    PerDiemDay,
    PerDiemResult,
    PerDiemTotals,
    Policy,
    Trip,
    compute_per_diem,
)
from expensehub.allowances.tables import RateTable, Source, bundled_tables, countries_with, find_table

__all__ = [
    "DAY_KINDS",
    "KM_PER_MILE",
    "MEALS",
    "UNITS",
    "VEHICLES",
    "Deduction",
    "FixedRate",
    "MileageBand",
    "MileageClaim",
    "MileageResult",
    "PerDiemDay",
    "PerDiemResult",
    "PerDiemTotals",
    "Point",
    "Policy",
    "RateTable",
    "Source",
    "TaxYear",
    "Trip",
    "bundled_tables",
    "compute_mileage",
    "compute_per_diem",
    "convert",
    "countries_with",
    "find_table",
    "haversine_km",
    "tax_year",
]
