"""Graph's ``patternedRecurrence`` expanded into occurrence dates: ``daily`` and ``weekly`` (with
``interval``, ``daysOfWeek``, ``firstDayOfWeek``) and ``absoluteMonthly``, over ``endDate``, ``numbered``
(``numberOfOccurrences``) or ``noEnd`` ranges, starting at ``range.startDate``.

Occurrences keep the series' wall-clock start time in its own time zone, so a 10:00 meeting stays
at 10:00 across daylight-saving changes; ``numberOfOccurrences`` counts every generated date,
cancelled or not, as Outlook does.
"""

from __future__ import annotations

import calendar as _calendar
import datetime

from .errors import bad_request

DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_OCCURRENCES = 5000


def _date(value: str | None, name: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat((value or "")[:10])
    except ValueError:
        raise bad_request(f"Invalid recurrence {name} '{value}'.", "ErrorInvalidRecurrence") from None


def dates(recurrence: dict, first_day: datetime.date, until: datetime.date):
    """Occurrence dates from the series start, in order, up to `until` (inclusive) or the range's end."""
    pattern, rng = recurrence.get("pattern") or {}, recurrence.get("range") or {}
    kind = (pattern.get("type") or "").lower()
    interval = int(pattern.get("interval") or 1)
    if interval < 1:
        raise bad_request("The recurrence interval must be at least 1.", "ErrorInvalidRecurrence")
    start = _date(rng.get("startDate"), "startDate") if rng.get("startDate") else first_day
    range_type = (rng.get("type") or "noEnd").lower()
    end = _date(rng.get("endDate"), "endDate") if range_type == "enddate" else None
    count = int(rng.get("numberOfOccurrences") or 0) if range_type == "numbered" else None
    produced = 0
    for day in _candidates(kind, pattern, interval, start):
        if (end is not None and day > end) or day > until or (count is not None and produced >= count):
            return
        if produced >= MAX_OCCURRENCES:
            return
        produced += 1
        yield day


def _candidates(kind: str, pattern: dict, interval: int, start: datetime.date):
    if kind == "daily":
        day = start
        while True:
            yield day
            day += datetime.timedelta(days=interval)
    elif kind == "weekly":
        first = DAYS.index((pattern.get("firstDayOfWeek") or "sunday").lower())
        wanted = sorted({(DAYS.index(d.lower()) - first) % 7 for d in pattern.get("daysOfWeek") or []}
                        or {(start.weekday() - first) % 7})
        week = start - datetime.timedelta(days=(start.weekday() - first) % 7)
        while True:
            for offset in wanted:
                day = week + datetime.timedelta(days=offset)
                if day >= start:
                    yield day
            week += datetime.timedelta(weeks=interval)
    elif kind == "absolutemonthly":
        day_of_month = int(pattern.get("dayOfMonth") or start.day)
        year, month = start.year, start.month
        while True:
            if day_of_month <= _calendar.monthrange(year, month)[1]:
                day = datetime.date(year, month, day_of_month)
                if day >= start:
                    yield day
            month += interval
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    else:
        raise bad_request(f"Recurrence pattern type '{pattern.get('type')}' is not supported by the sandbox.",
                          "ErrorInvalidRecurrence")
