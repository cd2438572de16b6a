"""The management addressing plan and the standard equipment of an online-meeting network.

One place for the numbers of docs/addressing.md and the default device models, camera
presets and line bandwidths: ``tools/gen_hagiang.py`` wrote the Hà Giang registry with them
and :mod:`gbtt.synth` writes the synthetic national registries with them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Third octet of a system's management subnet 10.<province>.<octet>.0/24.
TINH_OCTET, CNTT_OCTET, FIRST_DISTRICT_OCTET = 1, 2, 11
# Fourth octet: the MCU, then routers from .11 and codecs from .131 (n-th endpoint: base + n).
MCU_HOST_OCTET = 2
ROUTER_BASE, CODEC_BASE, MAX_ENDPOINTS = 10, 130, 110

MCU_MODEL_TINH = "Cisco Meeting Server 2000"
MCU_MODEL_OTHER = "Cisco Meeting Server 1000"
CODEC_CHAIR = "Cisco Webex Room Kit Pro"
CODEC_OTHER = "Cisco Webex Room Kit"
ROUTER_MODEL = "Cisco ISR 1111-4P"
PRESETS_CHAIR = [(1, "Toàn cảnh"), (2, "Chủ tọa"), (3, "Đại biểu")]
PRESETS_OTHER = [(1, "Toàn cảnh"), (2, "Người phát biểu")]
BW_HIGH, BW_LOW = 4096, 2048  # kbit/s: chair and district endpoints, commune endpoints

DISTRICT_WORD = {"huyen": "huyện", "thanh_pho": "thành phố", "thi_xa": "thị xã"}
COMMUNE_WORD = {"xa": "xã", "phuong": "phường", "thi_tran": "thị trấn"}


def district_title(kind: str, name: str) -> str:
    """'huyen', 'Đồng Văn' -> 'huyện Đồng Văn'."""
    return f"{DISTRICT_WORD[kind]} {name}"


def commune_title(kind: str, name: str) -> str:
    """'xa', 'Lũng Cú' -> 'xã Lũng Cú'."""
    return f"{COMMUNE_WORD[kind]} {name}"


@dataclass
class Commune:
    """A commune, ward or township as the registry generators write it."""

    id: str
    name: str
    type: str  # xa, phuong, thi_tran

    @property
    def title(self) -> str:
        return commune_title(self.type, self.name)
