"""Working days and working sessions of a province, for the lead times of Art. 7.

A *working session* (buổi làm việc) is one block of office hours — by default the morning
07:30–11:30 and the afternoon 13:30–17:00 — on a *working day* (ngày làm việc): Monday to
Friday, except Vietnam's public holidays (the ``holidays`` library: the lunar-calendar Tết,
Hùng Kings' day and the days off the government moves), plus the days off and working days a
province decides beyond them (``extra_days_off``, ``extra_working_days`` in ``province.yml``).

Times are aware datetimes; the calendar works in the province's time zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

DEFAULT_OFFICE_HOURS = (("07:30", "11:30"), ("13:30", "17:00"))


def _hm(text: str) -> dt.time:
    h, m = text.split(":")
    return dt.time(int(h), int(m))


@dataclass(frozen=True)
class Session:
    start: dt.datetime
    end: dt.datetime

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


class WorkCalendar:
    def __init__(self, timezone: str = "Asia/Ho_Chi_Minh", office_hours=DEFAULT_OFFICE_HOURS,
                 extra_days_off=(), extra_working_days=()):
        self.tz = ZoneInfo(timezone)
        hours = [(_hm(a), _hm(b)) for a, b in (office_hours or DEFAULT_OFFICE_HOURS)]
        for (a, b), nxt in zip(hours, hours[1:] + [None]):
            if not a < b or (nxt and not b <= nxt[0]):
                raise ValueError("office hours must be sessions in order, each ending after it starts and "
                                 f"before the next begins: {office_hours!r}")
        self.hours = hours
        self.days_off = {dt.date.fromisoformat(d) for d in extra_days_off}
        self.working = {dt.date.fromisoformat(d) for d in extra_working_days}

    @classmethod
    def of(cls, province) -> WorkCalendar:
        """The calendar of a :class:`gbtt.model.Province`."""
        return cls(province.timezone, province.office_hours, province.extra_days_off, province.extra_working_days)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("VN", language="vi")

    def holiday(self, day: dt.date) -> str | None:
        """The name of the day off ``day`` is, in Vietnamese; None on a working day or a weekend."""
        if day in self.working:
            return None
        if day in self.days_off:
            return "Ngày nghỉ theo quyết định của tỉnh"
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working:
            return True
        name = self.holiday(day)               # also loads the year's holidays and moved days
        if day in self._holidays_workdays():
            return True
        return day.weekday() < 5 and name is None

    def _holidays_workdays(self) -> set[dt.date]:
        # Saturdays the government makes working days, in exchange for a bridge day off
        return set(getattr(self._holidays, "weekend_workdays", ()) or ())

    def sessions_of(self, day: dt.date) -> list[Session]:
        if not self.is_working_day(day):
            return []
        return [Session(dt.datetime.combine(day, a, self.tz), dt.datetime.combine(day, b, self.tz))
                for a, b in self.hours]

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)

    def session_at(self, moment: dt.datetime) -> Session | None:
        """The working session ``moment`` falls in, if any."""
        moment = self.local(moment)
        return next((s for s in self.sessions_of(moment.date()) if moment in s), None)

    def sessions_before(self, moment: dt.datetime, limit_days: int = 60):
        """Working sessions ending at or before ``moment``, latest first."""
        moment = self.local(moment)
        day = moment.date()
        for _ in range(limit_days):
            for s in reversed(self.sessions_of(day)):
                if s.end <= moment:
                    yield s
            day -= dt.timedelta(days=1)

    def previous_session_end(self, moment: dt.datetime) -> dt.datetime:
        """The latest moment a step may take place "at least one working session before"
        ``moment``: the end of the last working session that ends before the session ``moment``
        falls in begins (before ``moment`` itself when it is outside office hours)."""
        here = self.session_at(moment)
        return next(self.sessions_before(here.start if here else moment)).end

    def previous_working_day_end(self, moment: dt.datetime) -> dt.datetime:
        """The latest moment for "at least one working day before" ``moment``: the end of the
        last working day before the day of ``moment``."""
        day = self.local(moment).date() - dt.timedelta(days=1)
        for _ in range(60):
            sessions = self.sessions_of(day)
            if sessions:
                return sessions[-1].end
            day -= dt.timedelta(days=1)
        raise ValueError(f"no working day in the 60 days before {moment:%Y-%m-%d}")

    def days_off_between(self, start: dt.date, end: dt.date) -> list[tuple[dt.date, str]]:
        """The named days off from ``start`` to ``end`` (both included), for explanations."""
        out = []
        day = start
        while day <= end:
            name = self.holiday(day)
            if name:
                out.append((day, name))
            day += dt.timedelta(days=1)
        return out
