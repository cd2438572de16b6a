"""The network picture of the province (gbtt/picture.py): one box per system, one mark per
endpoint, coloured by the results given, one line per interconnect spoke, deterministic and
escaped; then as a person sees it: headless Chromium opens a page embedding the SVG, and the
picture, its legend and the district names are on the first screen, drawn in their colours."""

from __future__ import annotations

import dataclasses
import math
import xml.etree.ElementTree as ET
from collections import Counter

import pytest

from conftest import ROOT, browser

from gbtt import picture, registry

NS = {"svg": "http://www.w3.org/2000/svg"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def reg():
    return registry.load(ROOT / "inventory" / "lab").registry


def lab_links(reg, cac_huyen: str = "unapproved", vi_xuyen: str = "up") -> list[dict]:
    return [{"id": i.id, "hub": i.hub, "spokes": list(i.spokes),
             "state": {"tinh-vi-xuyen": vi_xuyen, "tinh-cac-huyen": cac_huyen}[i.id]}
            for i in reg.interconnects.values()]


def parse(text: str) -> ET.Element:
    assert not text.startswith("<?xml")                     # embeddable as is in HTML
    return ET.fromstring(text)


def marks(root: ET.Element) -> dict[str, ET.Element]:
    found = root.findall(".//*[@data-endpoint]")
    counts = Counter(e.get("data-endpoint") for e in found)
    assert [ep for ep, n in counts.items() if n > 1] == []   # one mark per endpoint
    return {e.get("data-endpoint"): e for e in found}


def frame(root: ET.Element, system: str) -> tuple[float, float, float, float]:
    rect = root.find(f".//*[@id='sys-{system}']/svg:rect", NS)
    return tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))


def mcu_centre(root: ET.Element, host: str) -> tuple[float, float]:
    circle = root.find(f".//*[@data-mcu='{host}']/svg:circle", NS)
    return float(circle.get("cx")), float(circle.get("cy"))


# =========================================================================================
# The SVG text
# =========================================================================================

def test_every_system_has_a_box_and_every_endpoint_one_mark_inside_it(reg):
    root = parse(picture.svg(reg))
    assert root.tag == f"{SVG}svg" and root.get("width") == "100%"
    width, height = map(float, root.get("viewBox").split()[2:])
    assert 1000 <= width <= 1100 and height < 1400
    assert root.find(".//*[@id='legend']") is not None
    found = marks(root)
    assert set(found) == set(reg.endpoints) and len(reg.endpoints) == 240
    for system in reg.systems.values():
        box = root.find(f".//*[@id='sys-{system.id}']")
        assert box is not None, system.id
        assert len(root.findall(f".//*[@id='sys-{system.id}']")) == 1
        inside = {e.get("data-endpoint") for e in box.findall(".//*[@data-endpoint]")}
        assert inside == {ep.id for ep in reg.endpoints_of(system.id)}, system.id
        assert system.name.split()[-1] in "".join(box.itertext())   # the name is written in the box
        x, y, w, h = frame(root, system.id)
        assert 0 <= x and x + w <= width and 0 <= y and y + h <= height, system.id   # not cut off
        for ep in inside:
            cx, cy = (float(found[ep].find("svg:circle", NS).get(k)) for k in ("cx", "cy"))
            assert x < cx < x + w and y < cy < y + h, ep
    for ep in reg.endpoints.values():
        tip = found[ep.id][0]
        assert tip.tag == f"{SVG}title" and tip.text.startswith(f"{ep.name}: Chưa kiểm tra")


def test_the_provincial_and_ict_systems_are_on_top_and_the_districts_below(reg):
    root = parse(picture.svg(reg))
    tinh, cntt = frame(root, "tinh"), frame(root, "cntt")
    assert tinh[1] == cntt[1] and tinh[0] < cntt[0]
    districts = [frame(root, s.id) for s in reg.systems.values() if s.kind == "district"]
    assert len(districts) == 11 and min(d[1] for d in districts) > tinh[1] + tinh[3]
    assert len({d[3] for d in districts}) > 1                 # boxes grow with their endpoints
    boxes = [frame(root, s) for s in reg.systems]
    for i, a in enumerate(boxes):                             # no two boxes overlap
        for b in boxes[i + 1:]:
            assert a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] or b[1] + b[3] <= a[1]
    labels = "".join(root.find(".//*[@id='sys-tinh']").itertext())
    assert "VP Tỉnh ủy" in labels and "Cụm Thanh Thủy" in labels and "Đồng Văn" in labels


def test_systems_of_kind_other_come_in_a_last_row(reg):
    reg.systems["cntt"] = dataclasses.replace(reg.systems["cntt"], kind="other")
    root = parse(picture.svg(reg, links=lab_links(reg)))
    other = frame(root, "cntt")
    lowest = max(frame(root, s.id)[1] for s in reg.systems.values() if s.kind == "district")
    assert other[1] > lowest
    assert set(marks(root)) == set(reg.endpoints)
    assert frame(root, "tinh")[2] > 1000                      # the provincial system alone on top


def test_an_endpoint_takes_the_worst_of_its_codec_and_router(reg):
    ep = reg.endpoints["dong-van-lung-cu"]
    drifted = reg.endpoints["dong-van-ubnd"]
    status = {ep.codec.host: "ok", ep.router.host: "fail", drifted.codec.host: "drift",
              "dong-van-mcu": "unreachable", **{e.codec.host: "ok" for e in reg.endpoints_of("meo-vac")},
              **{e.router.host: "ok" for e in reg.endpoints_of("meo-vac")}}
    root = parse(picture.svg(reg, status))
    found = marks(root)
    assert found[ep.id].get("data-state") == "fail"
    assert found[ep.id][0].text.startswith("UBND xã Lũng Cú: Không đạt")
    assert "Bộ định tuyến dong-van-lung-cu-router: Không đạt" in found[ep.id][0].text
    assert found[drifted.id].get("data-state") == "drift"     # drift beats a router not checked
    assert found["dong-van-lung-cu"].find("svg:path", NS) is not None      # a cross, not colour alone
    assert {found[e.id].get("data-state") for e in reg.endpoints_of("meo-vac")} == {"ok"}
    assert found["tinh-ubnd"].get("data-state") == "unknown"
    mcu = root.find(".//*[@data-mcu='dong-van-mcu']")
    assert mcu.get("data-state") == "unreachable" and "Không kết nối được" in mcu[0].text
    assert root.find(".//*[@data-mcu='tinh-mcu']").get("data-state") == "unknown"
    fills = {found[e].get("data-state"): found[e].find("svg:circle", NS).get("fill")
             for e in (ep.id, drifted.id, "meo-vac-ubnd", "tinh-ubnd")}
    assert len(set(fills.values())) == 4                      # one colour per state
    unknown = found["tinh-ubnd"].find("svg:circle", NS)
    assert unknown.get("stroke-dasharray")                    # dashed outline: not checked
    legend = "".join(root.find(".//*[@id='legend']").itertext())
    assert "Không đạt (1)" in legend and f"Đạt ({len(reg.endpoints_of('meo-vac'))})" in legend
    for label in picture.STATE_VI.values():
        assert label in legend


def test_worst_follows_the_documented_order():
    assert picture.STATES == ("ok", "unknown", "drift", "fail", "unreachable")
    assert set(picture.STATE_VI) == set(picture.STATES)
    assert picture.worst(["ok", "ok"]) == "ok"
    assert picture.worst(["ok", "unknown"]) == "unknown"
    assert picture.worst(["unknown", "drift", "ok"]) == "drift"
    assert picture.worst(iter(["fail", "drift"])) == "fail"
    assert picture.worst(["fail", "unreachable"]) == "unreachable"
    assert picture.worst([]) == "unknown"
    with pytest.raises(ValueError, match="pending"):
        picture.worst(["ok", "pending"])


def test_unknown_states_and_systems_are_refused(reg):
    with pytest.raises(ValueError, match="tinh-mcu"):
        picture.svg(reg, {"tinh-mcu": "broken"})
    with pytest.raises(ValueError, match="nowhere"):
        picture.svg(reg, links=[{"id": "x", "hub": "tinh", "spokes": ["nowhere"], "state": "up"}])
    with pytest.raises(ValueError, match="maybe"):
        picture.svg(reg, links=[{"id": "x", "hub": "tinh", "spokes": ["cntt"], "state": "maybe"}])


def test_links_are_drawn_per_spoke_from_the_hub_mcu_with_their_state(reg):
    links = [*lab_links(reg), {"id": "huyen-huyen", "hub": "dong-van", "spokes": ["meo-vac", "cntt"], "state": "down"}]
    root = parse(picture.svg(reg, links=links))
    lines = root.findall(".//*[@data-link]")
    by_link = Counter(line.get("data-link") for line in lines)
    assert by_link == {"tinh-cac-huyen": 10, "tinh-vi-xuyen": 1, "huyen-huyen": 2}
    boxes = {s: frame(root, s) for s in reg.systems}
    for line in lines:
        link = next(link for link in links if link["id"] == line.get("data-link"))
        spoke = line.get("data-spoke")
        assert line.get("data-state") == link["state"]
        assert bool(line.get("stroke-dasharray")) == (link["state"] in ("unapproved", "down"))
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        start = mcu_centre(root, reg.systems[link["hub"]].mcu.host)
        end = mcu_centre(root, reg.systems[spoke].mcu.host)
        assert math.dist(points[0], start) <= picture.R_MCU + 0.5  # from the hub's MCU …
        assert math.dist(points[-1], end) <= picture.R_MCU + 0.5   # … to the spoke's MCU
        for a, b in zip(points, points[1:]):                        # between the boxes, never across one
            for system, (x, y, w, h) in boxes.items():
                if system in (link["hub"], spoke):
                    continue
                crosses = (min(a[0], b[0]) < x + w and max(a[0], b[0]) > x
                           and min(a[1], b[1]) < y + h and max(a[1], b[1]) > y)
                assert not crosses, (line.get("data-link"), spoke, system)
    up = root.find(".//*[@data-link='tinh-vi-xuyen']")
    unapproved = root.find(".//*[@data-link='tinh-cac-huyen']")
    assert up.get("stroke") != unapproved.get("stroke")
    assert "Liên thông đang kết nối" in up[0].text
    legend = "".join(root.find(".//*[@id='legend']").itertext())
    assert "Liên thông đã được chấp thuận" in legend and "Liên thông chưa được chấp thuận" in legend
    assert parse(picture.svg(reg)).findall(".//*[@data-link]") == []


def test_the_same_input_gives_the_same_bytes(reg):
    status = {d.host: ("ok", "fail", "drift")[i % 3] for i, d in enumerate(reg.devices())}
    first = picture.svg(reg, status, lab_links(reg), title="Sáu tháng đầu năm")
    again = picture.svg(registry.load(ROOT / "inventory" / "lab").registry,
                        dict(reversed(list(status.items()))), lab_links(reg), title="Sáu tháng đầu năm")
    assert first == again
    assert picture.svg(reg, {**status, "dong-van-ubnd-codec": "unreachable"}, lab_links(reg),
                       title="Sáu tháng đầu năm") != first


def test_names_are_escaped(reg):
    ep = reg.endpoints["dong-van-lung-cu"]
    reg.endpoints[ep.id] = dataclasses.replace(ep, name='UBND xã <Lũng> & "Cú"')
    reg.systems["dong-van"] = dataclasses.replace(reg.systems["dong-van"], name=reg.systems["dong-van"].name + " <&\">")
    text = picture.svg(reg, links=lab_links(reg), title='Sơ đồ <b> & "mạng"')
    assert "<Lũng>" not in text and "<b>" not in text
    root = parse(text)
    assert marks(root)[ep.id][0].text.startswith('UBND xã <Lũng> & "Cú": ')
    assert 'Sơ đồ <b> & "mạng"' in "".join(root.itertext()) and root.get("aria-label") == 'Sơ đồ <b> & "mạng"'
    assert "Đồng Văn <&\">" in root.find(".//*[@id='sys-dong-van']/svg:title", NS).text


# =========================================================================================
# As a person sees it
# =========================================================================================

PAGE = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Báo cáo</title></head>
<body style="margin:0;padding:16px;font-family:sans-serif"><h1 style="font-size:20px;margin:0 0 8px">
Báo cáo sáu tháng</h1><figure style="margin:0">{svg}</figure><p id="after">Hết</p></body></html>"""


def test_a_person_sees_the_province_on_the_first_screen_width(reg, tmp_path):
    ep = reg.endpoints["dong-van-lung-cu"]
    status = {d.host: "ok" for d in reg.devices()} | {ep.router.host: "fail", "bac-me-mcu": "drift"}
    page_file = tmp_path / "report.html"
    page_file.write_text(PAGE.format(svg=picture.svg(reg, status, lab_links(reg))), encoding="utf-8")
    with browser() as b:
        page = b.new_page(viewport={"width": 1100, "height": 900})
        page.goto(page_file.as_uri())
        shot = page.screenshot(path=str(tmp_path / "picture.png"), full_page=True)
        assert len(shot) > 50_000                              # a drawn picture, not a blank page
        box = page.locator("svg").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1100   # fits the screen width
        assert 400 < box["height"] < 1400 and box["width"] > 1000
        legend = page.locator("#legend")
        legend_box = legend.bounding_box()
        assert legend.is_visible() and legend_box["y"] + legend_box["height"] < 900   # on the first screen
        assert "Không đạt (1)" in legend.text_content()
        for system, name in (("dong-van", "Đồng Văn"), ("hoang-su-phi", "Hoàng Su Phì"), ("bac-quang", "Bắc Quang"),
                             ("ha-giang", "thành phố Hà Giang"), ("tinh", "của tỉnh")):
            text = page.locator(f"#sys-{system} > text", has_text=name)
            assert text.is_visible(), name
            where = text.bounding_box()
            assert where["x"] + where["width"] <= 1100, name
        # every text stays inside its box, with the real font
        overflow = page.evaluate("""() => [...document.querySelectorAll("svg [id^='sys-']")].flatMap(g => {
            const f = g.querySelector(':scope > rect').getBoundingClientRect();
            return [...g.querySelectorAll('text')].filter(t => {
                const r = t.getBoundingClientRect();
                return r.left < f.left || r.right > f.right + 0.5 || r.top < f.top || r.bottom > f.bottom;
            }).map(t => g.id + ': ' + t.textContent);
        })""")
        assert overflow == []
        # the failed endpoint is seen, in vermillion, not hidden by a line or another mark
        seen = page.evaluate("""(id) => {
            const c = document.querySelector(`[data-endpoint="${id}"] circle`).getBoundingClientRect();
            const hit = document.elementFromPoint(c.x + c.width / 2, c.y + c.height / 2);
            const mark = hit.closest('[data-endpoint]');
            return [mark && mark.dataset.endpoint, mark && mark.dataset.state,
                    getComputedStyle(mark.querySelector('circle')).fill];
        }""", ep.id)
        assert seen == [ep.id, "fail", "rgb(213, 94, 0)"]
        fonts = page.evaluate("getComputedStyle(document.querySelector('svg text')).fontFamily")
        assert fonts.startswith('"Noto Sans"')
        assert page.locator("#after").bounding_box()["y"] > box["y"] + box["height"] - 1   # takes its room in the page
