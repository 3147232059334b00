"""RRULE / EXDATE / RDATE expansion for Calendar recurring events (RFC 5545, the subset Google's
clients and our generator use): FREQ=DAILY|WEEKLY|MONTHLY|YEARLY with INTERVAL, COUNT, UNTIL,
BYDAY (weekly days, or ordinal days like ``2TU`` / ``-1FR`` monthly) and BYMONTHDAY.

Occurrences are generated in the event's own time zone (wall-clock), so a 10:00 weekly meeting
stays at 10:00 across daylight-saving changes. COUNT counts occurrences before EXDATE removes any,
as the RFC says.
"""

from __future__ import annotations

import calendar as _cal
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
MAX_OCCURRENCES = 1000


def _parse_stamp(value: str, tz) -> datetime | date:
    value = value.strip()
    if "T" not in value:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    parsed = datetime.strptime(value.rstrip("Z"), "%Y%m%dT%H%M%S")
    if value.endswith("Z"):
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.replace(tzinfo=tz)


def _parse_rule(line: str) -> dict[str, str]:
    body = line.split(":", 1)[1] if ":" in line else line
    return dict(part.split("=", 1) for part in body.split(";") if "=" in part)


def _date_list(line: str, default_tz) -> list:
    head, _, values = line.partition(":")
    tz = default_tz
    for param in head.split(";")[1:]:
        if param.upper().startswith("TZID="):
            tz = ZoneInfo(param[5:])
    return [_parse_stamp(v, tz) for v in values.split(",") if v.strip()]


def _same(a, b) -> bool:
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(timezone.utc) == b.astimezone(timezone.utc)
    if isinstance(a, datetime) != isinstance(b, datetime):
        a_day = a.date() if isinstance(a, datetime) else a
        b_day = b.date() if isinstance(b, datetime) else b
        return a_day == b_day
    return a == b


def _days_in_period(freq: str, anchor: date, rule: dict[str, str], start: date) -> list[date]:
    byday = [d for d in rule.get("BYDAY", "").split(",") if d]
    if freq == "DAILY":
        return [anchor]
    if freq == "WEEKLY":
        monday = anchor - timedelta(days=anchor.weekday())
        days = [WEEKDAYS[d[-2:]] for d in byday] or [start.weekday()]
        return sorted(monday + timedelta(days=d) for d in set(days))
    if freq == "MONTHLY":
        year, month = anchor.year, anchor.month
        last = _cal.monthrange(year, month)[1]
        out = []
        if byday:
            for spec in byday:
                weekday = WEEKDAYS[spec[-2:]]
                ordinal = int(spec[:-2]) if spec[:-2] else 0
                matching = [date(year, month, d) for d in range(1, last + 1)
                            if date(year, month, d).weekday() == weekday]
                if ordinal == 0:
                    out.extend(matching)
                elif -len(matching) <= ordinal <= len(matching) and ordinal != 0:
                    out.append(matching[ordinal - 1 if ordinal > 0 else ordinal])
        else:
            for spec in (rule.get("BYMONTHDAY") or str(start.day)).split(","):
                day = int(spec)
                day = last + day + 1 if day < 0 else day
                if 1 <= day <= last:
                    out.append(date(year, month, day))
        return sorted(set(out))
    if freq == "YEARLY":
        try:
            return [date(anchor.year, start.month, start.day)]
        except ValueError:
            return []
    raise ValueError(f"unsupported FREQ {freq}")


def _advance(freq: str, start: date, step: int) -> date:
    if freq == "DAILY":
        return start + timedelta(days=step)
    if freq == "WEEKLY":
        return start + timedelta(weeks=step)
    if freq == "MONTHLY":
        months = start.year * 12 + start.month - 1 + step
        return date(months // 12, months % 12 + 1, 1)
    return date(start.year + step, 1, 1)


def expand(start: datetime | date, recurrence: list[str], tz_name: str | None, until_bound):
    """Original start times of a series from ``start`` up to ``until_bound`` (exclusive)."""
    tz = ZoneInfo(tz_name) if tz_name else (start.tzinfo if isinstance(start, datetime) else None)
    timed = isinstance(start, datetime)
    local = start.astimezone(tz) if timed and tz else start
    rules = [line for line in recurrence if line.upper().startswith("RRULE")]
    excluded, extra = [], []
    for line in recurrence:
        upper = line.upper()
        if upper.startswith("EXDATE"):
            excluded.extend(_date_list(line, tz))
        elif upper.startswith("RDATE"):
            extra.extend(_date_list(line, tz))
    occurrences = [local]
    for line in rules:
        rule = _parse_rule(line)
        freq = rule.get("FREQ", "DAILY").upper()
        interval = int(rule.get("INTERVAL", "1"))
        count = int(rule["COUNT"]) if "COUNT" in rule else None
        until = _parse_stamp(rule["UNTIL"], timezone.utc) if "UNTIL" in rule else None
        start_day = local.date() if timed else local
        produced, period = 0, 0
        occurrences = []
        while produced < MAX_OCCURRENCES:
            anchor = _advance(freq, start_day, period * interval) if freq != "WEEKLY" else \
                start_day + timedelta(weeks=period * interval)
            period += 1
            done = False
            for day in _days_in_period(freq, anchor, rule, start_day):
                if day < start_day:
                    continue
                value = datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=tz) if timed else day
                if until is not None and not _before_or_at(value, until):
                    done = True
                    break
                if _past(value, until_bound):
                    done = True
                    break
                occurrences.append(value)
                produced += 1
                if count is not None and produced >= count:
                    done = True
                    break
            if done or period > 100000:
                break
    for value in extra:
        if not any(_same(value, o) for o in occurrences):
            occurrences.append(value)
    result = [o for o in occurrences if not any(_same(o, x) for x in excluded)]
    return sorted(result, key=lambda o: o if not timed else o.astimezone(timezone.utc))


def _before_or_at(value, until) -> bool:
    if isinstance(value, datetime):
        until_dt = until if isinstance(until, datetime) else datetime.combine(
            until, time(23, 59, 59), tzinfo=value.tzinfo)
        return value <= until_dt
    until_day = until.date() if isinstance(until, datetime) else until
    return value <= until_day


def _past(value, bound) -> bool:
    if bound is None:
        return False
    if isinstance(value, datetime):
        return value >= bound
    return datetime.combine(value, time(0), tzinfo=timezone.utc) >= bound
