"""Small counts stay hidden across views, not only within one (differencing).

Each table already hides figures below 5 people. But two views one day apart could differ by a
single response in many cells, and reading the difference would describe that one person. The
rule, applied to the filters before any figure is computed:

1. **Periods are whole calendar months.** A start date counts from the first day of its month,
   an end date to the last day of its month.
2. **Each edge of a period holds at least 5 people.** Under the other filters (questionnaire,
   place, channel, demo answers), the first and the last month that have responses inside the
   period must each have 5 or more; the responses left out before the period, and those left out
   after it, must each number 0 or at least 5.

Any two views the dashboard shows then differ by whole months whose edge months hold 5 or more
people: a difference is never smaller than 5 people, so no cell of a difference can single out
fewer than 5. (Views that differ in place or channel are not covered by this rule: each place
and channel is a group the tables already protect.)
"""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveys.analytics import MIN_PEOPLE


class PeriodRefused(ValueError):
    """A plain-French reason why a period would let someone subtract two views."""


def whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """``start`` moved to the first day of its month, ``end`` to the last day of its month."""
    if start is not None:
        start = start.replace(day=1)
    if end is not None:
        end = end.replace(day=calendar.monthrange(end.year, end.month)[1])
    return start, end


def monthly_counts(session: Session, filters) -> dict[tuple[int, int], int]:  # type: ignore[no-untyped-def]
    """People per (year, month) under ``filters`` without their period (the dashboard's own
    population, so the rule counts exactly who the tables count)."""
    from app.services import dashboard as service

    base = service.dashboard_data(session, replace(filters, start=None, end=None))
    wide = base.wide
    if wide is None or len(wide) == 0 or "submitted_local" not in wide.columns:
        return {}
    local = wide["submitted_local"].dropna()
    counts = local.groupby([local.dt.year, local.dt.month]).size()
    return {(int(y), int(m)): int(n) for (y, m), n in counts.items()}


def check_period(session: Session, filters) -> None:  # type: ignore[no-untyped-def]
    """Raise PeriodRefused when the period of ``filters`` breaks the rule above."""
    if filters.start is None and filters.end is None:
        return
    counts = monthly_counts(session, filters)
    first = (filters.start.year, filters.start.month) if filters.start else None
    last = (filters.end.year, filters.end.month) if filters.end else None
    inside = sorted(
        month
        for month in counts
        if (first is None or month >= first) and (last is None or month <= last)
    )
    before = sum(n for month, n in counts.items() if first is not None and month < first)
    after = sum(n for month, n in counts.items() if last is not None and month > last)
    small_edge = inside and (counts[inside[0]] < MIN_PEOPLE or counts[inside[-1]] < MIN_PEOPLE)
    small_rest = 0 < before < MIN_PEOPLE or 0 < after < MIN_PEOPLE
    if small_edge or small_rest:
        raise PeriodRefused(
            _(
                "Cette période n'est pas affichée : en la comparant à une autre, on pourrait "
                "reconnaître moins de 5 personnes. Choisissez des mois plus larges, ou aucune "
                "période."
            )
        )
