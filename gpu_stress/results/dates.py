"""Calendar months of a run: month m of a configuration whose ``about.first_month`` is "YYYY-MM" (month 1).

The model counts months from 1; a preset says which calendar month month 1 is (its first month after
the balance sheet of month 0), so tables and charts can show dates. Without ``first_month`` there are
none.

>>> calendar_month("2025-07", 60)
'2030-06'
>>> year_span("2025-07", 5, 68)
('2029-07', '2030-06')
"""

MONTHS_PER_YEAR = 12


def calendar_month(first_month, month):
    """ "YYYY-MM" of model month ``month`` (1 = ``first_month``), or None without a first month."""
    if not first_month:
        return None
    year, calendar = (int(part) for part in first_month.split("-"))
    index = year * MONTHS_PER_YEAR + calendar - 1 + month - 1
    return f"{index // MONTHS_PER_YEAR:04d}-{index % MONTHS_PER_YEAR + 1:02d}"


def year_span(first_month, year, horizon):
    """(first, last) calendar months of model year ``year`` (months 12 (year - 1) + 1 .. 12 year, the last cut at
    ``horizon``), or None without a first month."""
    if not first_month:
        return None
    first = MONTHS_PER_YEAR * (year - 1) + 1
    return calendar_month(first_month, first), calendar_month(first_month, min(first + 11, horizon))


def first_month_of(table):
    """``about.first_month`` of a configuration table (a dict), or None."""
    return (table or {}).get("about", {}).get("first_month")
