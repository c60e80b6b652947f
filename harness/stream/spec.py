"""Declarative stream specs (TRex stateless style): template, variations, sizes, count, rate,
optional ESP encryption. Frozen, validated on construction (messages name the field), JSON
round trip via ``to_dict``/``from_dict``/``to_json``/``from_json``.

An ESP stream is what the IPsec *peer* sends into the gateway's unprotected port: the
template is the inner packet, encrypted with ``esp.sa`` (sequence numbers from
``esp.seq_start``, one per packet; 64-bit when the SA has ESN, RFC 4303 §2.2.1).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.codec.spec import EspSaSpec
from harness.scenario.jsonutil import parse_hex
from harness.stream.rate import Rate
from harness.stream.signature import SIGNATURE_LEN
from harness.stream.sizes import SizeSpec
from harness.stream.template import HeaderTemplate, RawTemplate, Template, layout_of, template_from_dict
from harness.stream.variation import Variation, compile_slot

MAX_COUNT = 1 << 32  # every send loop is bounded; this bounds the spec (and keeps signature seqs unique)


def _size_hint(version: int) -> str:
    """What fits where: the 18-byte signature (signature.py) after IPv4/UDP fills a 64-byte
    frame exactly; IPv6/UDP needs 80 bytes without FCS."""
    if version == 6:
        return "; IPv6/UDP needs at least 14 + 40 + 8 + 18 = 80 bytes without FCS (an 84-byte frame)"
    return "; IPv4/UDP fits a 64-byte frame: 14 + 20 + 8 + 18 = 60 bytes without FCS"


@dataclass(frozen=True)
class EspStreamSpec:
    """Encrypt the stream with ``sa``; ``iv`` fixes the IV of every packet (known answers)."""

    sa: EspSaSpec
    seq_start: int = 1
    iv: bytes | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sa, EspSaSpec):
            raise ValueError(f"EspStreamSpec.sa must be an EspSaSpec, got {type(self.sa).__name__}")
        high = (1 << 64) - 1 if self.sa.esn else 0xFFFFFFFF
        if not isinstance(self.seq_start, int) or not 0 <= self.seq_start <= high:
            raise ValueError(f"EspStreamSpec.seq_start must be 0..{high} (ESN {self.sa.esn}), got {self.seq_start!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"sa": self.sa.to_json(), "seq_start": self.seq_start, "iv": None if self.iv is None else self.iv.hex()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EspStreamSpec:
        try:
            sa = EspSaSpec.from_json(data["sa"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"esp.sa: {exc}") from None
        iv = data.get("iv")
        return cls(sa, data.get("seq_start", 1), None if iv is None else parse_hex(iv, "esp.iv"))


@dataclass(frozen=True)
class StreamSpec:
    """One stream. ``port`` is the DUT port the frames are sent into; ``seed`` drives random
    variations and CBC IVs, so a spec always builds the same bytes."""

    stream_id: int
    template: Template
    count: int
    sizes: SizeSpec = field(default_factory=lambda: SizeSpec.fixed(128))
    rate: Rate | None = None
    port: int = 1
    variations: tuple[Variation, ...] = ()
    esp: EspStreamSpec | None = None
    seed: int = 0
    name: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "variations", tuple(self.variations))
        if not isinstance(self.stream_id, int) or not 0 <= self.stream_id <= 0xFFFF:
            raise ValueError(f"StreamSpec.stream_id must be 0..65535, got {self.stream_id!r}")
        if not isinstance(self.template, (HeaderTemplate, RawTemplate)):
            raise ValueError(f"StreamSpec.template must be a HeaderTemplate or RawTemplate, got {type(self.template).__name__}")
        if not isinstance(self.count, int) or not 1 <= self.count <= MAX_COUNT:
            raise ValueError(f"StreamSpec.count must be 1..{MAX_COUNT}, got {self.count!r}")
        if not isinstance(self.sizes, SizeSpec):
            raise ValueError("StreamSpec.sizes must be a SizeSpec")
        if self.rate is not None and not isinstance(self.rate, Rate):
            raise ValueError("StreamSpec.rate must be a Rate or None")
        if not isinstance(self.port, int) or not 0 <= self.port <= 255:
            raise ValueError(f"StreamSpec.port must be 0..255, got {self.port!r}")
        if not isinstance(self.seed, int):
            raise ValueError(f"StreamSpec.seed must be an integer, got {self.seed!r}")
        self._check_fit()

    def _check_fit(self) -> None:
        headers = self.template.headers()
        layout = layout_of(headers)
        need = layout.payload_offset + SIGNATURE_LEN
        small = min(self.sizes.l3_cycle())
        if small < need:
            raise ValueError(f"StreamSpec.sizes: a {small}-byte L3 packet cannot hold the {layout.payload_offset} header "
                             f"bytes plus the {SIGNATURE_LEN}-byte signature; the minimum is {need} bytes L3 "
                             f"= {need + 18}-byte frame ({need + 14} bytes without FCS){_size_hint(layout.version)}")
        has_ports = layout.proto in (6, 17)  # TCP, UDP
        for i, var in enumerate(self.variations):
            if not isinstance(var, Variation):
                raise ValueError(f"StreamSpec.variations[{i}] must be a Variation")
            try:
                compile_slot(var, layout, has_ports)
            except ValueError as exc:
                raise ValueError(f"StreamSpec.variations[{i}]: {exc}") from None
        if self.esp is not None:
            if not isinstance(self.esp, EspStreamSpec):
                raise ValueError("StreamSpec.esp must be an EspStreamSpec or None")
            last = self.esp.seq_start + self.count - 1
            if not self.esp.sa.esn and last > 0xFFFFFFFF:
                raise ValueError(f"StreamSpec.count: ESP sequence numbers would reach {last} > 2**32-1 without ESN")

    @property
    def mean_frame_bytes(self) -> float:
        """Mean clear frame size incl. FCS (what ``rate`` conversions use)."""
        return self.sizes.mean_frame_bytes()

    def pps(self) -> float | None:
        """The stream's rate in frames per second, or None when it has no rate."""
        return None if self.rate is None else self.rate.to_pps(self.mean_frame_bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream_id": self.stream_id, "name": self.name, "template": self.template.to_dict(),
            "count": self.count, "sizes": self.sizes.to_dict(),
            "rate": None if self.rate is None else self.rate.to_dict(), "port": self.port,
            "variations": [v.to_dict() for v in self.variations],
            "esp": None if self.esp is None else self.esp.to_dict(), "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StreamSpec:
        for key in ("stream_id", "template", "count"):
            if key not in data:
                raise ValueError(f"StreamSpec JSON lacks field {key!r}")
        return cls(
            stream_id=data["stream_id"], name=data.get("name", ""),
            template=template_from_dict(data["template"]), count=data["count"],
            sizes=SizeSpec.from_dict(data.get("sizes", {"kind": "fixed", "sizes": [128]})),
            rate=None if data.get("rate") is None else Rate.from_dict(data["rate"]),
            port=data.get("port", 1),
            variations=tuple(Variation.from_dict(v, f"variations[{i}]") for i, v in enumerate(data.get("variations", []))),
            esp=None if data.get("esp") is None else EspStreamSpec.from_dict(data["esp"]),
            seed=data.get("seed", 0),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> StreamSpec:
        return cls.from_dict(json.loads(text))
