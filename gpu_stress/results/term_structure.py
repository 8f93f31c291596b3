"""The PD term structure by year of a firm and of each of its tranches, from their cumulative PD by year.

What ``gpu-stress summarize --by-year`` shows and its JSON's ``term_structure`` holds; docs/model.md
("Outputs") gives the definitions.
"""

from .dates import year_span


def term_structure(pd_by_year):
    """The PD term structure of one cumulative PD by year: {"cumulative_pd", "marginal_pd", "hazard"}, lists by year.

    With C_y the cumulative PD at the end of year y (C_0 = 0): the marginal PD m_y = C_y - C_{y-1} is the share
    of all paths that default in year y, and the hazard h_y = m_y / (1 - C_{y-1}) the probability that a firm
    alive at the start of year y defaults within it (None once no path is alive). A last year cut short by the
    horizon is as long as the horizon leaves.

    >>> term_structure([0.1, 0.28])["hazard"]
    [0.1, 0.2]
    """
    cumulative = [float(share) for share in pd_by_year or []]
    before = [0.0, *cumulative][: len(cumulative)]
    marginal = [after - earlier for after, earlier in zip(cumulative, before, strict=True)]
    hazard = [m / (1.0 - c) if c < 1.0 else None for m, c in zip(marginal, before, strict=True)]
    return {"cumulative_pd": cumulative, "marginal_pd": marginal, "hazard": hazard}


def term_structures(rows, tranche_rows=(), first_month=None, horizon=None):
    """[{scenario_id, of ("firm" or a tranche's name), tranche (index or None), cumulative_pd, marginal_pd,
    hazard, and with ``first_month`` (the calendar month of month 1) and ``horizon`` the calendar months each
    year spans, years: [[first, last], ...]}]: the term structure of each scenario's firm, then of each of its
    tranches."""
    by_scenario = {}
    for tranche in tranche_rows:
        by_scenario.setdefault(tranche["scenario_id"], []).append(tranche)
    entries = []
    for row in rows:
        entries.append({"scenario_id": row["scenario_id"], "of": "firm", "tranche": None})
        entries[-1] |= term_structure(row.get("pd_by_year"))
        for tranche in by_scenario.get(row["scenario_id"], []):
            entries.append({"scenario_id": row["scenario_id"], "of": tranche["name"], "tranche": tranche["tranche"]})
            entries[-1] |= term_structure(tranche.get("pd_by_year"))
    if first_month and horizon:
        for entry in entries:
            entry["years"] = [list(year_span(first_month, y, horizon)) for y in range(1, len(entry["hazard"]) + 1)]
    return entries
