"""The network picture of the province: one plain SVG, for HTML reports.

What it draws, top to bottom:

* a title and the legend (``id="legend"``): one mark per state with its Vietnamese label and
  how many endpoints are in it, then one line sample per interconnect state;
* the provincial and the ICT system side by side, each a labelled box (``id="sys-<system>"``):
  the system's name as in the registry, its endpoints as marks with short labels (the full name
  is in the hover tooltip), and its MCU, the large mark labelled "MCU" on the box's lower edge;
* the district systems (province → districts → communes) in a grid of four columns, each box
  with the system's name, its MCU on the box's left edge and the district's endpoints (the
  district People's Committee first, then its communes) as a compact grid of marks; boxes grow
  with their number of endpoints;
* systems of kind "other", if any, in a last row of the same grid;
* the interconnects (MCU cascades): one line from the hub system's MCU to each spoke's MCU,
  running in the channel under the top row and in the gutters left of each grid column, one
  lane per interconnect so that two cascades never hide each other.

How to read it: a mark's colour and symbol are its state (:data:`STATE_VI`), from the latest
maintenance and drift results.  An endpoint takes the worst state of its codec and its router
(:func:`worst`, order :data:`STATES`); an MCU has its own.  The states, best to worst:

=============  ======================  ===========  =====================================
state          label                   colour       also told by
=============  ======================  ===========  =====================================
ok             Đạt                     green        plain filled mark
unknown        Chưa kiểm tra           white        dashed grey outline
drift          Cấu hình bị thay đổi    orange       dark triangle (Δ, "changed")
fail           Không đạt               vermillion   white cross
unreachable    Không kết nối được      black        white bar ("no entry")
=============  ======================  ===========  =====================================

Unreachable is the worst: nothing is known of the device and it cannot join a meeting.  A
failed check comes next, then a configuration changed outside the toolkit (Art. 3), which may
still work; a device not checked yet is better than any finding but is not "ok".  The colours
are the Okabe–Ito palette, and every state also has its own symbol or outline, so the picture
reads without colour vision and in black-and-white print.

Interconnect lines (:data:`LINK_VI`): "up" solid green and thick, "approved" (approved, not
connected now) solid grey, "down" (approved, the cascade is broken) vermillion dots,
"unapproved" dashed red.

For readers and tests every system box has ``id="sys-<system id>"``, every endpoint mark
``data-endpoint`` and ``data-state``, every MCU mark ``data-mcu`` and ``data-state``, every
interconnect line ``data-link``, ``data-spoke`` and ``data-state``, and every mark and line a
``<title>`` child (the hover tooltip).  The SVG uses presentation attributes only, no
``<style>`` element, because the CSS of an inline SVG would apply to the whole HTML page.
The same input gives the same bytes.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable
from xml.sax.saxutils import escape

from gbtt import model

#: the states of a device or endpoint, best first (worst last)
STATES = ("ok", "unknown", "drift", "fail", "unreachable")
STATE_VI = {
    "ok": "Đạt",
    "unknown": "Chưa kiểm tra",
    "drift": "Cấu hình bị thay đổi",
    "fail": "Không đạt",
    "unreachable": "Không kết nối được",
}
#: the states of an interconnect, in the order of the legend
LINK_STATES = ("up", "approved", "down", "unapproved")
LINK_VI = {
    "up": "Liên thông đang kết nối",
    "approved": "Liên thông đã được chấp thuận",
    "down": "Liên thông đã chấp thuận, mất kết nối",
    "unapproved": "Liên thông chưa được chấp thuận",
}

_RANK = {state: rank for rank, state in enumerate(STATES)}

FONT = "'Noto Sans', 'DejaVu Sans', sans-serif"
WIDTH = 1080            # the viewBox width; the SVG itself is width="100%"
MARGIN = 10
TEXT = "#1B2430"
MUTED = "#5A6472"

R_EP = 6                # endpoint mark radius
R_MCU = 9               # MCU mark radius
PAD = 10                # inside a box
HEAD = 40               # a box's two header lines
CELL_W, CELL_H = 120, 18  # a labelled endpoint (top row)
FOOT = 30               # the MCU strip at the bottom of a top-row box
GAP = 16                # between top-row boxes
GRID_COLS = 4
GUTTER = 30             # left of each grid column: the interconnect lanes
PITCH = 17              # a compact endpoint mark (grid)
MARKS_X = 46            # where the compact marks start, right of the MCU and its label
ROW_GAP = 14
LEGEND_H = 74

# A state: mark fill, outline, outline dash, symbol ("", "cross", "delta", "bar") and its colour.
_STATE_STYLE = {
    "ok": ("#009E73", "#00694D", "", "", ""),
    "unknown": ("#FFFFFF", "#6E6E6E", "2 1.5", "", ""),
    "drift": ("#E69F00", "#8F6200", "", "delta", "#1A1A1A"),
    "fail": ("#D55E00", "#8F3F00", "", "cross", "#FFFFFF"),
    "unreachable": ("#1A1A1A", "#000000", "", "bar", "#FFFFFF"),
}
# An interconnect state: colour, width, dash.
_LINK_STYLE = {
    "up": ("#009E73", 3, ""),
    "approved": ("#8A8F96", 2, ""),
    "down": ("#D55E00", 2.5, "1 4"),
    "unapproved": ("#CF222E", 2, "7 4"),
}

# Short labels of endpoint names (top row): Vietnamese administrative words, applied in order.
_SHORT = (
    ("Ủy ban nhân dân ", "UBND "),
    ("Văn phòng ", "VP "),
    ("Thông tin và Truyền thông", "TT&TT"),
    ("Cụm xã biên giới ", "Cụm "),
    ("Phòng VH-TT ", ""),
    ("UBND thành phố ", "TP "),
    ("thành phố ", "TP "),
    ("UBND huyện ", ""),
    ("huyện ", ""),
    ("UBND thị trấn ", "TT "),
    ("UBND phường ", "P. "),
    ("UBND xã ", "xã "),
)


# =========================================================================================
# Public helpers
# =========================================================================================

def worst(states: Iterable[str]) -> str:
    """The worst of ``states`` in the order of :data:`STATES`; "unknown" when there is none.

    >>> worst(["ok", "fail", "drift"])
    'fail'
    """
    found = [_checked(state) for state in states]
    return max(found, key=_RANK.__getitem__) if found else "unknown"


def svg(reg: model.Registry, status: dict[str, str] | None = None, links: list[dict] | None = None,
        title: str | None = None) -> str:
    """The picture as an <svg> element (no XML declaration), ready to be embedded in HTML.

    ``status`` maps a device host (codec, router or MCU) to a state of :data:`STATES`; a host
    not in it is "unknown".  ``links`` are the interconnects to draw, each
    ``{"id", "hub", "spokes", "state"}`` with a state of :data:`LINK_STATES`; none are drawn
    when it is None.  ``title`` is the heading drawn in the picture: None gives
    "Sơ đồ mạng giao ban trực tuyến tỉnh <province>", "" draws none.
    Raises ValueError on an unknown state or a link to a system the registry does not have.
    """
    status = {host: _checked(state, host) for host, state in (status or {}).items()}
    links = [_checked_link(reg, link) for link in (links or [])]
    heading = _default_title(reg) if title is None else title
    legend_y = 34 if heading else 4
    boxes, channel_y, height = _layout(reg, len(links), legend_y)
    body = [*_heading(heading), *_legend(reg, status, legend_y)]
    prefix = _common_prefix([box.system.name for box in boxes])
    for box in boxes:
        body += _box(box, status, prefix)
    body += _links(reg, boxes, links, channel_y)
    label = _xml(heading or _default_title(reg))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_n(height)}" width="100%" '
            f'role="img" aria-label="{label}" font-family="{FONT}" fill="{TEXT}">\n'
            + "\n".join(body) + "\n</svg>\n")


# =========================================================================================
# States and input
# =========================================================================================

def _checked(state: str, host: str | None = None) -> str:
    if state not in _RANK:
        where = f" of {host!r}" if host else ""
        raise ValueError(f"unknown state{where}: {state!r} (known: {', '.join(STATES)})")
    return state


def _checked_link(reg: model.Registry, link: dict) -> dict:
    """``link`` with its spokes as a tuple, after checking its state and systems."""
    if link.get("state") not in LINK_STATES:
        raise ValueError(f"interconnect {link.get('id')!r}: unknown state {link.get('state')!r} "
                         f"(known: {', '.join(LINK_STATES)})")
    spokes = tuple(link.get("spokes") or ())
    unknown = [s for s in (link.get("hub"), *spokes) if s not in reg.systems]
    if unknown:
        raise ValueError(f"interconnect {link.get('id')!r}: unknown system(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(reg.systems)})")
    return {**link, "id": str(link.get("id")), "spokes": spokes}


def _device_state(status: dict[str, str], host: str) -> str:
    return status.get(host, "unknown")


def _endpoint_state(status: dict[str, str], ep: model.Endpoint) -> str:
    return worst([_device_state(status, ep.codec.host), _device_state(status, ep.router.host)])


def _default_title(reg: model.Registry) -> str:
    province = reg.province.name if reg.province else ""
    return f"Sơ đồ mạng giao ban trực tuyến tỉnh {province}".strip()


# =========================================================================================
# Text: escaping, widths, short labels
# =========================================================================================

def _xml(text: str) -> str:
    """``text`` escaped for element content and double-quoted attributes, without the control
    characters XML 1.0 forbids."""
    clean = "".join(ch for ch in text if ch in "\t\n" or ord(ch) >= 0x20)
    return escape(clean, {'"': "&quot;"})


def _n(value: float) -> str:
    """A coordinate: at most one decimal, no trailing ".0" (stable output)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _char_width(ch: str) -> float:
    """Advance of one character in em, on the wide side of Noto Sans and DejaVu Sans."""
    base = unicodedata.normalize("NFD", ch)[0]
    if base in " ":
        return 0.32
    if base in "ijlrtf.,:;'!|()-":
        return 0.34
    if base in "mwMW":
        return 0.92
    if base.isdigit():
        return 0.64
    if base.isupper():
        return 0.70
    return 0.60


def _text_width(text: str, size: float, bold: bool = False) -> float:
    return sum(map(_char_width, text)) * size * (1.1 if bold else 1.0)


def _fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text``, cut with an ellipsis when it is wider than ``width``."""
    if _text_width(text, size, bold) <= width:
        return text
    while text and _text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, width: float, size: float, bold: bool, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width``, the last one cut when needed."""
    out: list[str] = []
    words = text.split()
    while words and len(out) < lines - 1:
        take = 1
        while take < len(words) and _text_width(" ".join(words[:take + 1]), size, bold) <= width:
            take += 1
        out.append(_fit(" ".join(words[:take]), width, size, bold))
        words = words[take:]
    if words:
        out.append(_fit(" ".join(words), width, size, bold))
    return out


def _short_label(name: str) -> str:
    """An endpoint's name without the administrative words a box already says.

    >>> _short_label("UBND huyện Đồng Văn"), _short_label("Cụm xã biên giới Thanh Thủy")
    ('Đồng Văn', 'Cụm Thanh Thủy')
    """
    for long, short in _SHORT:
        name = name.replace(long, short)
    return name.strip() or name


def _common_prefix(names: list[str]) -> str:
    """The words every name starts with ("Hệ thống giao ban trực tuyến "), leaving each name
    at least one word of its own; "" for fewer than two names."""
    if len(names) < 2:
        return ""
    split = [name.split() for name in names]
    most = min(len(words) for words in split) - 1
    common = 0
    while common < most and len({tuple(words[:common + 1]) for words in split}) == 1:
        common += 1
    return " ".join(split[0][:common]) + " " if common else ""


# =========================================================================================
# Layout
# =========================================================================================

@dataclass
class _Box:
    system: model.System
    endpoints: list[model.Endpoint]
    x: float
    y: float
    w: float
    h: float
    top: bool                                   # top row: labelled marks, MCU at the bottom
    mcu: tuple[float, float] = (0, 0)
    marks: list[tuple[model.Endpoint, float, float]] = field(default_factory=list)


def _layout(reg: model.Registry, n_links: int, legend_y: float) -> tuple[list[_Box], float, float]:
    """The boxes, the y of the interconnect channel under the top row, and the total height."""
    by_system: dict[str, list[model.Endpoint]] = {sid: [] for sid in reg.systems}
    for ep in reg.endpoints.values():
        by_system.setdefault(ep.system, []).append(ep)
    top = [s for s in reg.systems.values() if s.kind in ("provincial", "ict")]
    districts = [s for s in reg.systems.values() if s.kind == "district"]
    others = [s for s in reg.systems.values() if s.kind not in ("provincial", "ict", "district")]
    y = legend_y + LEGEND_H + 14
    boxes = _top_row([(s, by_system[s.id]) for s in top], y)
    channel_y = max((b.y + b.h for b in boxes), default=y)
    y = channel_y + 16 + 5 * n_links
    for group in (districts, others):
        grid = _grid([(s, by_system[s.id]) for s in group], y)
        boxes += grid
        y = max((b.y + b.h + ROW_GAP for b in grid), default=y)
    return boxes, channel_y, y + MARGIN - ROW_GAP


def _top_row(systems: list[tuple[model.System, list[model.Endpoint]]], y: float) -> list[_Box]:
    """Boxes side by side, as few label rows as fit the width, the spare width shared out."""
    if not systems:
        return []
    avail = WIDTH - 2 * MARGIN - GAP * (len(systems) - 1)
    most = max(max(len(eps) for _, eps in systems), 1)
    for rows in range(1, most + 1):
        cols = [max(1, math.ceil(len(eps) / rows)) for _, eps in systems]
        widths = [c * CELL_W + 2 * PAD for c in cols]
        if sum(widths) <= avail:
            break
    spare = max(0.0, (avail - sum(widths)) / len(systems))
    boxes, x = [], float(MARGIN)
    for (system, eps), w in zip(systems, widths):
        box = _Box(system, eps, x, y, w + spare, HEAD + rows * CELL_H + FOOT, top=True)
        box.mcu = (x + (w + spare) / 2, y + box.h - FOOT / 2)
        box.marks = [(ep, x + PAD + (i // rows) * CELL_W + R_EP, y + HEAD + (i % rows) * CELL_H + CELL_H / 2)
                     for i, ep in enumerate(eps)]
        boxes.append(box)
        x += w + spare + GAP
    return boxes


def _grid(systems: list[tuple[model.System, list[model.Endpoint]]], y: float) -> list[_Box]:
    """Boxes in rows of :data:`GRID_COLS`, each with its compact marks, its MCU on its left edge."""
    box_w = (WIDTH - 2 * MARGIN - GRID_COLS * GUTTER) / GRID_COLS
    cols = int((box_w - MARKS_X - PAD) // PITCH)
    boxes: list[_Box] = []
    for start in range(0, len(systems), GRID_COLS):
        row = systems[start:start + GRID_COLS]
        for c, (system, eps) in enumerate(row):
            x = MARGIN + GUTTER + c * (GUTTER + box_w)
            lines = max(1, math.ceil(len(eps) / cols))
            box = _Box(system, eps, x, y, box_w, HEAD + lines * PITCH + 8, top=False)
            box.mcu = (x, y + HEAD + PITCH / 2)
            box.marks = [(ep, x + MARKS_X + (i % cols) * PITCH + PITCH / 2, y + HEAD + (i // cols) * PITCH + PITCH / 2)
                         for i, ep in enumerate(eps)]
            boxes.append(box)
        y = max(b.y + b.h for b in boxes[-len(row):]) + ROW_GAP
    return boxes


# =========================================================================================
# Drawing
# =========================================================================================

def _text(x: float, y: float, text: str, size: float, bold: bool = False, fill: str = TEXT) -> str:
    weight = ' font-weight="bold"' if bold else ""
    colour = f' fill="{fill}"' if fill != TEXT else ""
    return f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"{weight}{colour}>{_xml(text)}</text>'


def _mark(x: float, y: float, r: float, state: str) -> list[str]:
    """A state's mark: a circle with the state's fill and outline, and its symbol."""
    fill, stroke, dash, symbol, ink = _STATE_STYLE[state]
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    out = [f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{fill}" stroke="{stroke}" '
           f'stroke-width="{_n(max(1.2, r / 6))}"{dashed}/>']
    d, w = r * 0.5, _n(r * 0.3)
    if symbol == "cross":
        out.append(f'<path d="M{_n(x - d)} {_n(y - d)}L{_n(x + d)} {_n(y + d)}M{_n(x + d)} {_n(y - d)}'
                   f'L{_n(x - d)} {_n(y + d)}" stroke="{ink}" stroke-width="{w}" stroke-linecap="round"/>')
    elif symbol == "bar":
        out.append(f'<path d="M{_n(x - r * 0.55)} {_n(y)}H{_n(x + r * 0.55)}" stroke="{ink}" '
                   f'stroke-width="{w}" stroke-linecap="round"/>')
    elif symbol == "delta":
        out.append(f'<path d="M{_n(x)} {_n(y - r * 0.6)}L{_n(x + r * 0.55)} {_n(y + r * 0.4)}'
                   f'H{_n(x - r * 0.55)}Z" fill="{ink}"/>')
    return out


def _heading(title: str) -> list[str]:
    return [_text(MARGIN, 24, _fit(title, WIDTH - 2 * MARGIN, 17, True), 17, True)] if title else []


def _legend(reg: model.Registry, status: dict[str, str], y: float) -> list[str]:
    """The states with their counts of endpoints, the interconnect lines, how to read a mark."""
    note = ("Mỗi chấm là một điểm cầu, mang trạng thái xấu nhất của thiết bị đầu cuối và bộ định tuyến; "
            "chấm lớn là MCU của hệ thống. Di chuột lên chấm để xem tên và kết quả.")
    return ['<g id="legend">',
            f'<rect x="{MARGIN}" y="{_n(y)}" width="{WIDTH - 2 * MARGIN}" height="{_n(LEGEND_H)}" rx="6" '
            'fill="#FFFFFF" stroke="#C9D1DB"/>',
            *_legend_states(reg, status, y + 20), *_legend_links(y + 42),
            _text(MARGIN + PAD, y + 64, _fit(note, WIDTH - 2 * MARGIN - 2 * PAD, 10), 10, fill=MUTED), "</g>"]


def _legend_states(reg: model.Registry, status: dict[str, str], line: float) -> list[str]:
    """One mark per state, with its label and how many endpoints are in it."""
    counts = {state: 0 for state in STATES}
    for ep in reg.endpoints.values():
        counts[_endpoint_state(status, ep)] += 1
    lead = "Trạng thái (số điểm cầu):"
    out = [_text(MARGIN + PAD, line + 4, lead, 11, True)]
    x = MARGIN + PAD + _text_width(lead, 11, True) + 10
    for state in STATES:
        label = f"{STATE_VI[state]} ({counts[state]})"
        out += [f'<g data-legend="{state}">', *_mark(x + R_EP, line, R_EP, state),
                _text(x + 2 * R_EP + 5, line + 4, label, 11), "</g>"]
        x += 2 * R_EP + 5 + _text_width(label, 11) + 16
    return out


def _legend_links(line: float) -> list[str]:
    """One line sample per interconnect state, with its label."""
    out, x = [], MARGIN + PAD
    for state in LINK_STATES:
        colour, width, dash = _LINK_STYLE[state]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out += [f'<g data-legend="{state}">',
                f'<path d="M{_n(x)} {_n(line)}H{_n(x + 34)}" stroke="{colour}" stroke-width="{width}"'
                f' stroke-linecap="round"{dashed}/>',
                _text(x + 40, line + 4, LINK_VI[state], 11), "</g>"]
        x += 40 + _text_width(LINK_VI[state], 11) + 18
    return out


def _box(box: _Box, status: dict[str, str], prefix: str) -> list[str]:
    """A system: its frame, its name, its endpoint marks and its MCU."""
    system = box.system
    fill = "#EEF3FA" if box.top else "#F7F9FC"
    out = [f'<g id="sys-{_xml(system.id)}" data-kind="{_xml(system.kind)}">',
           f"<title>{_xml(f'{system.name}: {len(box.endpoints)} điểm cầu')}</title>",
           f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.w)}" height="{_n(box.h)}" rx="6" '
           f'fill="{fill}" stroke="#A9B4C2"/>']
    out += _header(box, prefix)
    for ep, x, y in box.marks:
        out += _endpoint(ep, x, y, status, labelled=box.top)
    out += _mcu(box, status)
    out.append("</g>")
    return out


def _header(box: _Box, prefix: str) -> list[str]:
    """The system's name: the words all systems share small, the rest bold below them."""
    name, x, inner = box.system.name, box.x + PAD, box.w - 2 * PAD
    if prefix and name.startswith(prefix):
        first, second = prefix.strip(), name[len(prefix):].strip()
        return [_text(x, box.y + 15, _fit(first, inner, 10), 10, fill=MUTED),
                _text(x, box.y + 32, _fit(second, inner, 13, True), 13, True)]
    lines = _wrap(name, inner, 13, True, 2)
    return [_text(x, box.y + 15 + 17 * i, line, 13, True) for i, line in enumerate(lines)]


def _endpoint(ep: model.Endpoint, x: float, y: float, status: dict[str, str], labelled: bool) -> list[str]:
    codec, router = _device_state(status, ep.codec.host), _device_state(status, ep.router.host)
    state = worst([codec, router])
    tip = (f"{ep.name}: {STATE_VI[state]}\nThiết bị đầu cuối {ep.codec.host}: {STATE_VI[codec]}"
           f"\nBộ định tuyến {ep.router.host}: {STATE_VI[router]}")
    out = [f'<g data-endpoint="{_xml(ep.id)}" data-state="{state}">', f"<title>{_xml(tip)}</title>"]
    out += _mark(x, y, R_EP, state)
    if labelled:
        room = CELL_W - 2 * R_EP - 9
        out.append(_text(x + R_EP + 5, y + 4, _fit(_short_label(ep.name), room, 11), 11))
    out.append("</g>")
    return out


def _mcu(box: _Box, status: dict[str, str]) -> list[str]:
    host = box.system.mcu.host
    state = _device_state(status, host)
    x, y = box.mcu
    tip = f"MCU {host} của {box.system.name}: {STATE_VI[state]}"
    out = [f'<g data-mcu="{_xml(host)}" data-state="{state}">', f"<title>{_xml(tip)}</title>"]
    out += _mark(x, y, R_MCU, state)
    out += [_text(x + R_MCU + 4, y + 4, "MCU", 10, True, fill=MUTED), "</g>"]
    return out


# =========================================================================================
# Interconnects
# =========================================================================================

def _links(reg: model.Registry, boxes: list[_Box], links: list[dict], channel_y: float) -> list[str]:
    """One line per spoke of every link, in lane k (the link's place in ``links``)."""
    by_id = {box.system.id: box for box in boxes}
    out = ['<g data-layer="interconnects">']
    for k, link in enumerate(links):
        colour, width, dash = _LINK_STYLE[link["state"]]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        known = reg.interconnects.get(link["id"])
        name = known.name if known and known.name else link["id"]
        hub = by_id[link["hub"]]
        for spoke in link["spokes"]:
            if spoke == link["hub"]:
                continue
            points = _route(hub, by_id[spoke], k, len(links), channel_y)
            tip = f"{name}: {reg.systems[link['hub']].name} → {reg.systems[spoke].name}: {LINK_VI[link['state']]}"
            out += [f'<polyline data-link="{_xml(link["id"])}" data-spoke="{_xml(spoke)}" '
                    f'data-state="{link["state"]}" points="{" ".join(f"{_n(px)},{_n(py)}" for px, py in points)}" '
                    f'fill="none" stroke="{colour}" stroke-width="{width}" stroke-linejoin="round"{dashed}>',
                    f"<title>{_xml(tip)}</title>", "</polyline>"]
    out.append("</g>")
    return out


def _route(hub: _Box, spoke: _Box, lane: int, lanes: int, channel_y: float) -> list[tuple[float, float]]:
    """From the hub's MCU down (or left) to the channel, along it, and on to the spoke's MCU."""
    lane_y = channel_y + 10 + lane * 5
    path = _exit(hub, lane, lanes, lane_y) + _exit(spoke, lane, lanes, lane_y)[::-1]
    return [p for i, p in enumerate(path) if i == 0 or p != path[i - 1]]


def _exit(box: _Box, lane: int, lanes: int, lane_y: float) -> list[tuple[float, float]]:
    """The points from the edge of ``box``'s MCU mark to the channel, in ``lane``."""
    shift = (lane - (lanes - 1) / 2) * min(4.0, 12 / lanes)
    x, y = box.mcu
    edge = math.sqrt(R_MCU ** 2 - shift ** 2)
    if box.top:
        return [(x + shift, y + edge), (x + shift, lane_y)]
    gutter_x = box.x - R_MCU - 4 - lane * min(5.0, (GUTTER - R_MCU - 6) / lanes)
    return [(x - edge, y + shift), (gutter_x, y + shift), (gutter_x, lane_y)]
