"""gbtt meeting plan: Art. 5 (scale → system → chair), Art. 7 (lead times at their boundaries,
working sessions and days with Tết and weekends), Art. 4.5 and 5.2c (conflicts and the fallback
to the ICT system), the calendar file and the invitation."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from conftest import browser, run, tool
from gbtt import meeting_docs as docs
from gbtt import meetings as mt
from gbtt.workcal import WorkCalendar

from meetkit import at, inv, write  # noqa: F401 (inv: a fixture)

NOW = at("2026-11-20 09:00")
MINUTE = dt.timedelta(minutes=1)

# clause -> (host unit, participants, system, chair)
CLAUSES = {
    "1a": ("tinh-uy", {"districts": ["dong-van"]}, ["tinh"], "tinh-tinh-uy"),
    "1b": ("ubnd-tinh", {"districts": ["dong-van"]}, ["tinh"], "tinh-ubnd"),
    "1c": ("so-tai-chinh", {"districts": ["meo-vac"]}, ["tinh"], "tinh-so-tai-chinh"),
    "2a": ("so-tttt", {"districts": ["dong-van"]}, ["cntt"], "cntt-so-tttt"),
    "2b": ("so-tttt", None, ["cntt"], "cntt-so-tttt"),
    "2c": ("ubnd-tinh", {"endpoints": ["cntt-meo-vac"]}, ["cntt"], "cntt-so-tttt"),
    "3a": ("ubnd-dong-van", None, ["dong-van"], "dong-van-ubnd"),
    "3b": ("ubnd-meo-vac", {"endpoints": ["meo-vac-pai-lung"]}, ["meo-vac"], "meo-vac-ubnd"),
    "3c": ("ubnd-dong-van", {"districts": ["dong-van"]}, ["dong-van"], "dong-van-ubnd"),
    "4a": ("ubnd-tinh", {"districts": ["dong-van", "meo-vac"]}, None, "tinh-ubnd"),
    "4b": ("tinh-uy", {"systems": ["dong-van"]}, None, "tinh-tinh-uy"),
    "4c": ("ubnd-tinh", {"endpoints": ["yen-minh-ubnd"]}, None, "tinh-ubnd"),
}


def meeting(inv, mid="hop", *, scale="1b", host="ubnd-tinh", start="2026-12-03 08:00", duration="2h",
            participants=None, **extra):
    fields = {"title": f"Cuộc họp {mid}", "host_unit": host, "scale": scale, "start": start, "duration": duration}
    if participants:
        fields["participants"] = participants
    return write(inv, mid, **fields, **extra)


def plan_of(inv, mid="hop", now=NOW) -> mt.Plan:
    return mt.planned(inv, mid, now=now)[1][mid]


@pytest.mark.parametrize("clause", sorted(CLAUSES))
def test_each_clause_of_art_5_maps_to_its_system_and_chair(inv, clause):
    host, participants, systems, chair = CLAUSES[clause]
    meeting(inv, scale=clause, host=host, participants=participants)
    plan = plan_of(inv)
    assert plan.problems == [] and plan.refused == []
    assert plan.chair.id == chair and plan.participants[0].id == chair
    if clause.startswith("4"):
        assert plan.interconnect.id == "tinh-cac-huyen" and plan.system.id == "tinh"
        assert plan.approval is not None and any("approved by" in d for d in plan.decisions)
        assert {"tinh", "dong-van"} <= {s.id for s in plan.systems} or clause == "4c"
    else:
        assert [s.id for s in plan.systems] == systems
        assert all(e.system == systems[0] for e in plan.participants)
    assert plan.ok, docs.schedule(plan, WorkCalendar().tz, NOW)


def test_a_participant_the_system_does_not_reach_is_refused(inv):
    meeting(inv, participants={"endpoints": ["dong-van-lung-cu", "tinh-dong-van"], "districts": ["atlantis"]})
    plan = plan_of(inv)
    refused = dict(plan.refused)
    assert "an interconnection needs a scale 4 meeting" in refused["endpoint dong-van-lung-cu"]
    assert refused["district atlantis"] == "no such district in the registry"
    assert [e.id for e in plan.participants] == ["tinh-ubnd", "tinh-dong-van"]
    assert not plan.ok


def test_an_interconnected_meeting_without_a_valid_approval_is_refused(inv):
    meeting(inv, scale="4b", participants={"districts": ["vi-xuyen"]}, interconnect="tinh-vi-xuyen",
            approval="no-such-approval")
    plan = plan_of(inv)
    assert any("not approved (Art. 4.2)" in p and "no approval 'no-such-approval'" in p for p in plan.problems)
    assert not plan.ok


def test_an_approval_that_ends_before_the_meeting_is_a_problem(inv):
    meeting(inv, scale="4b", participants={"districts": ["vi-xuyen"]}, start="2031-01-06 08:00")
    plan = plan_of(inv, now=at("2030-12-20 09:00"))
    assert any("before the meeting ends" in p for p in plan.problems), plan.problems


# ---------------------------------------------------------------------------------------------
# Lead times (Art. 7): each passes at its boundary and fails one minute short
# ---------------------------------------------------------------------------------------------

# a Thursday 08:00 opening: invitation by Tue 08:00, official connection by 06:30, test by the
# end of the previous working session (Wed 17:00), or of the previous working day for scale 4
BOUNDARIES = {
    "invitation_sent": ("1b", "2026-12-01 08:00", "invitation"),
    "connect": ("1b", "2026-12-03 06:30", "connect"),
    "test": ("1b", "2026-12-02 17:00", "test"),
}


@pytest.mark.parametrize("field", sorted(BOUNDARIES))
def test_each_lead_time_passes_at_its_boundary_and_fails_a_minute_late(inv, field):
    clause, boundary, step = BOUNDARIES[field]
    meeting(inv, scale=clause, participants={"districts": ["dong-van"]}, **{field: boundary})
    plan = plan_of(inv)
    s = plan.step(step)
    assert s.ok and s.given and s.at == at(boundary) and s.deadline == at(boundary)
    late = (at(boundary) + MINUTE).strftime("%Y-%m-%d %H:%M")
    meeting(inv, scale=clause, participants={"districts": ["dong-van"]}, **{field: late})
    plan = plan_of(inv)
    s = plan.step(step)
    assert not s.ok and s.short_by == MINUTE and not plan.ok
    text = docs.schedule(plan, WorkCalendar().tz, NOW)
    assert "late by 1 min" in text and "NOT READY" in text


@pytest.mark.parametrize("start,scale,deadline", [
    ("2026-12-03 14:00", "1b", "2026-12-03 11:30"),   # afternoon meeting: the morning session before
    ("2026-12-03 12:15", "1b", "2026-12-03 11:30"),   # at lunch: the last session before
    ("2026-12-03 14:00", "4b", "2026-12-02 17:00"),   # scale 4: the working day before
    ("2026-12-07 08:00", "1b", "2026-12-04 17:00"),   # Monday: Friday's afternoon (the weekend)
    ("2026-12-07 08:00", "4b", "2026-12-04 17:00"),
    ("2026-02-23 08:00", "1b", "2026-02-13 17:00"),   # after Tết 2026 (16-20/2) and two weekends
    ("2026-02-23 14:00", "4b", "2026-02-13 17:00"),
    ("2026-09-03 08:00", "1b", "2026-08-28 17:00"),   # National Day 1-2/9 and the bridge day 31/8
])
def test_working_sessions_and_days_skip_weekends_and_holidays(inv, start, scale, deadline):
    participants = {"districts": ["dong-van"]}
    meeting(inv, scale=scale, start=start, participants=participants)
    plan = plan_of(inv, now=at(start) - dt.timedelta(days=30))
    test = plan.step("test")
    assert test.deadline == at(deadline), test
    assert test.article == ("7.3" if scale.startswith("4") else "7.2")
    if start.startswith("2026-02-23"):
        assert "Tết Nguyên Đán" in test.note


def test_a_saturday_made_a_working_day_and_a_day_off_of_the_province_count(inv):
    province = inv.parent / "hagiang" / "registry" / "province.yml"
    text = province.read_text(encoding="utf-8")
    hours = '    - {start: "07:30", end: "11:30"}\n    - {start: "13:30", end: "17:00"}\n'
    assert hours in text
    province.write_text(text.replace(hours, '    - {start: "08:00", end: "12:00"}\n    - {start: "13:00", end: "16:30"}\n'
                                     "  extra_working_days: [2026-12-05]\n  extra_days_off: [2026-12-04]\n"),
                        encoding="utf-8")
    meeting(inv, start="2026-12-07 08:00", participants={"districts": ["dong-van"]})
    assert plan_of(inv).step("test").deadline == at("2026-12-05 16:30")
    meeting(inv, start="2026-12-07 14:00", participants={"districts": ["dong-van"]})
    assert plan_of(inv).step("test").deadline == at("2026-12-07 12:00")


def test_office_hours_out_of_order_are_a_validation_error(inv):
    province = inv.parent / "hagiang" / "registry" / "province.yml"
    text = province.read_text(encoding="utf-8")
    province.write_text(text.replace('{start: "13:30", end: "17:00"}', '{start: "11:00", end: "17:00"}'),
                        encoding="utf-8")
    meeting(inv, participants={"districts": ["dong-van"]})
    with pytest.raises(mt.MeetingError, match="does not validate"):
        mt.planned(inv, "hop", now=NOW)
    proc = run([tool("gbtt"), "validate", str(inv)])
    assert proc.returncode != 0 and "office hours 07:30-11:30 are not a session in order" in proc.stdout + proc.stderr


def test_a_lead_time_that_can_no_longer_be_met_says_by_how_much(inv):
    meeting(inv, start="2026-12-03 08:00", participants={"districts": ["dong-van"]})
    plan = plan_of(inv, now=at("2026-12-02 18:10"))
    invitation, test = plan.step("invitation"), plan.step("test")
    assert not invitation.ok and invitation.short_by == dt.timedelta(days=1, hours=10, minutes=10)
    assert not test.ok and test.short_by == dt.timedelta(hours=1, minutes=10) and test.at is None
    text = docs.schedule(plan, WorkCalendar().tz, at("2026-12-02 18:10"))
    assert "test connection: can no longer be met by 1 h 10 min" in text


# ---------------------------------------------------------------------------------------------
# Conflicts (Art. 4.5) and the fallback to the ICT system (Art. 5.2c)
# ---------------------------------------------------------------------------------------------

def test_the_higher_priority_keeps_the_system_and_the_other_falls_back_to_the_ict_system(inv):
    meeting(inv, "tinh-uy", scale="1a", host="tinh-uy", start="2026-12-03 09:00",
            participants={"districts": ["dong-van", "meo-vac"]})
    meeting(inv, "ubnd", scale="1b", host="ubnd-tinh", start="2026-12-03 08:00",
            participants={"endpoints": ["tinh-dong-van", "tinh-meo-vac"]})
    plans = mt.planned(inv, now=NOW)[1]
    assert plans["tinh-uy"].placed and plans["tinh-uy"].system.id == "tinh"
    moved = plans["ubnd"]
    assert moved.placed and moved.clause == "2c" and moved.system.id == "cntt"
    assert moved.chair.id == "cntt-so-tttt"
    assert [e.id for e in moved.participants] == ["cntt-so-tttt", "cntt-dong-van", "cntt-meo-vac"]
    assert "Art. 5.2c" in moved.decisions[0] and "Provincial Party Committee before" in moved.decisions[0]
    assert moved.ok
    text = docs.invitation(mt.planned(inv, now=NOW)[0].registry, moved, WorkCalendar().tz, "txt")
    assert "điểm c Khoản 2 Điều 5" in text


def test_no_fallback_when_a_meeting_that_goes_first_holds_the_ict_system(inv):
    meeting(inv, "tinh-uy", scale="1a", host="tinh-uy", start="2026-12-03 09:00")
    # a Party board of the Provincial Party Committee on the ICT system (Art. 5.2b)
    meeting(inv, "ban-dang", scale="2b", host="so-tttt", start="2026-12-03 10:00", convener="provincial_party")
    meeting(inv, "ubnd", scale="1b", host="ubnd-tinh", start="2026-12-03 08:00",
            participants={"endpoints": ["tinh-dong-van"]})
    plans = mt.planned(inv, now=NOW)[1]
    assert plans["tinh-uy"].placed and plans["ban-dang"].placed
    lost = plans["ubnd"]
    assert not lost.placed and not lost.ok
    assert "the ICT system is taken by 'ban-dang'" in lost.decisions[0]


def test_a_fallback_that_goes_first_takes_the_ict_system_from_a_lower_priority(inv):
    meeting(inv, "tinh-uy", scale="1a", host="tinh-uy", start="2026-12-03 09:00")
    meeting(inv, "so-tttt", scale="2a", host="so-tttt", start="2026-12-03 10:00")
    meeting(inv, "ubnd", scale="1b", host="ubnd-tinh", start="2026-12-03 08:00",
            participants={"endpoints": ["tinh-dong-van"]})
    plans = mt.planned(inv, now=NOW)[1]
    assert plans["ubnd"].placed and plans["ubnd"].clause == "2c"
    assert not plans["so-tttt"].placed
    assert "taken by 'ubnd', which goes first (Art. 4.5: the Provincial People's Committee before a unit " \
           "Art. 4.5 does not rank)" in plans["so-tttt"].decisions[0]


def test_meetings_that_do_not_overlap_do_not_conflict(inv):
    meeting(inv, "sang", scale="1a", host="tinh-uy", start="2026-12-03 08:00", duration="2h")
    meeting(inv, "chieu", scale="1b", host="ubnd-tinh", start="2026-12-03 13:30", duration="2h")   # connects 12:00
    plans = mt.planned(inv, now=NOW)[1]
    assert plans["sang"].placed and plans["chieu"].placed and plans["chieu"].system.id == "tinh"


def test_equal_priority_goes_to_the_earlier_invitation(inv):
    meeting(inv, "a-dong-van", scale="3b", host="ubnd-dong-van", start="2026-12-03 08:00",
            invitation_sent="2026-11-19 10:00")
    meeting(inv, "b-dong-van", scale="3c", host="ubnd-dong-van", start="2026-12-03 09:00",
            invitation_sent="2026-11-18 10:00")
    plans = mt.planned(inv, now=NOW)[1]
    assert plans["b-dong-van"].placed and not plans["a-dong-van"].placed
    assert "its invitation went out first" in plans["a-dong-van"].decisions[0]


def test_an_unavailable_provincial_system_moves_the_meeting(inv):
    meeting(inv, participants={"endpoints": ["tinh-quan-ba"]}, unavailable="phòng họp tầng 2 đang sửa chữa")
    plan = plan_of(inv)
    assert plan.clause == "2c" and [e.id for e in plan.participants] == ["cntt-so-tttt", "cntt-quan-ba"]
    assert "phòng họp tầng 2 đang sửa chữa" in plan.decisions[0]


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------

def test_the_calendar_parses_and_holds_the_three_events(inv, tmp_path):
    meeting(inv, participants={"districts": ["dong-van"]}, test="2026-12-02 09:00")
    loaded, plans, cal = mt.planned(inv, "hop", now=NOW)
    data = docs.calendar(loaded.registry, plans["hop"], cal.tz, NOW)
    parsed = icalendar.Calendar.from_ical(data)
    events = {str(e["uid"]): e for e in parsed.walk("VEVENT")}
    assert set(events) == {"hop-test@gbtt", "hop-connect@gbtt", "hop-meeting@gbtt"}
    meeting_ev = events["hop-meeting@gbtt"]
    assert meeting_ev.decoded("dtstart") == at("2026-12-03 08:00")
    assert meeting_ev.decoded("dtend") == at("2026-12-03 10:00")
    assert str(meeting_ev["summary"]) == "Cuộc họp hop"
    assert events["hop-test@gbtt"].decoded("dtstart") == at("2026-12-02 09:00")
    assert events["hop-connect@gbtt"].decoded("dtstart") == at("2026-12-03 06:30")
    assert str(meeting_ev["dtstart"].params["TZID"]) == "Asia/Ho_Chi_Minh"
    assert parsed.walk("VTIMEZONE"), "the time zone travels with the file"
    assert "Điểm cầu chủ tọa: UBND tỉnh" in str(meeting_ev["description"])


def test_the_invitation_states_what_art_8_1_asks(inv):
    meeting(inv, participants={"districts": ["dong-van"]})
    loaded, plans, cal = mt.planned(inv, "hop", now=NOW)
    focal = [loaded.registry.contacts[c] for c in loaded.registry.endpoints["tinh-ubnd"].focal_officers]
    for fmt in ("md", "html", "txt"):
        text = docs.invitation(loaded.registry, plans["hop"], cal.tz, fmt)
        assert "GIẤY MỜI HỌP TRỰC TUYẾN" in text
        for person in focal:
            assert person.name in text and person.phone in text
        assert "Hệ thống giao ban trực tuyến của tỉnh" in text
        assert "08 giờ 00, Thứ Năm, ngày 03/12/2026" in text
        assert "Kết nối thử: 16 giờ 00, Thứ Tư, ngày 02/12/2026" in text
        assert "Kết nối chính thức: 06 giờ 30, Thứ Năm, ngày 03/12/2026" in text
        assert "HĐND, UBND tỉnh họp với HĐND, UBND các huyện, thành phố" in text
        assert "Trung tâm Công nghệ thông tin và Truyền thông tỉnh Hà Giang" in text   # the operating agency


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------

def test_the_command_writes_the_files_and_says_ready(inv, tmp_path):
    path = meeting(inv, participants={"districts": ["dong-van"]})
    proc = run([tool("gbtt"), "meeting", "plan", str(path), "--now", "2026-11-20T09:00+07:00",
                "--out", str(tmp_path / "out")])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ready to invite" in proc.stdout
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["hop.giay-moi.html", "hop.giay-moi.md", "hop.giay-moi.txt", "hop.ics", "hop.plan.json"]


def test_the_command_exits_1_when_not_ready_and_2_on_bad_input(inv):
    path = meeting(inv, participants={"districts": ["dong-van"]})
    late = run([tool("gbtt"), "meeting", "plan", str(path), "--now", "2026-12-02T20:00+07:00"])
    assert late.returncode == 1 and "MISS" in late.stdout
    bad = write(inv, "bad", title="x", host_unit="ubnd-tinh", scale="5a", start="2026-12-03 08:00", duration="2h")
    proc = run([tool("gbtt"), "meeting", "plan", str(bad)])
    assert proc.returncode == 2
    assert f"{bad}:3" in proc.stderr and "scale" in proc.stderr


@pytest.mark.parametrize("fields,line,words", [
    ({"start": "03/12/2026 08:00"}, 4, "write a time such as 2026-12-03 08:00"),
    ({"duration": "0m"}, 5, "is no time"),
    ({"host_unit": "Ubnd Tinh"}, 2, "host_unit"),
    ({"colour": "red"}, None, "Additional properties"),
])
def test_bad_meeting_files_name_the_file_the_line_and_the_fix(inv, fields, line, words):
    base = {"title": "Họp", "host_unit": "ubnd-tinh", "scale": "1b", "start": "2026-12-03 08:00", "duration": "2h"}
    path = write(inv, "sai", **{**base, **fields})
    with pytest.raises(mt.MeetingError) as err:
        mt.planned(inv, "sai", now=NOW)
    assert words in str(err.value)
    assert str(err.value).startswith(f"{path}:{line}:" if line else str(path))


def test_a_person_opening_the_invitation_sees_what_art_8_1_asks(inv, tmp_path):
    meeting(inv, participants={"districts": ["dong-van"]})
    loaded, plans, cal = mt.planned(inv, "hop", now=NOW)
    page_file = docs.write(tmp_path / "out", loaded.registry, plans["hop"], cal.tz, NOW)[2]
    assert page_file.name == "hop.giay-moi.html"
    focal = loaded.registry.contacts[loaded.registry.endpoints["tinh-ubnd"].focal_officers[0]]
    with browser() as b:
        page = b.new_page(viewport={"width": 1000, "height": 1000})
        page.goto(page_file.as_uri())
        shot = page.screenshot(path=str(tmp_path / "giay-moi.png"), full_page=True)
        assert len(shot) > 30_000                                   # a drawn page, not a blank one
        assert page.locator("#heading").inner_text() == "GIẤY MỜI HỌP TRỰC TUYẾN"
        assert page.locator("#title").inner_text() == "Cuộc họp hop"
        for selector in ("#heading", "#facts", "#focal", "#times"):
            box = page.locator(selector).bounding_box()
            assert page.locator(selector).is_visible() and box and box["y"] < 1000, selector   # first screen
        assert page.locator("#when").inner_text().startswith("08 giờ 00, Thứ Năm, ngày 03/12/2026")
        facts = page.locator("#facts").inner_text()
        assert "Hệ thống giao ban trực tuyến của tỉnh" in facts and "Cấp độ 1b" in facts
        assert f"{focal.name}" in page.locator("#focal").inner_text()
        assert page.locator("#focal a").first.get_attribute("href") == "tel:" + focal.phone.replace(" ", "")
        assert "Kết nối thử: 16 giờ 00, Thứ Tư, ngày 02/12/2026" in page.locator("#times").inner_text()
