"""The inbound SAD and ESP opening for the model and the observer (RFC 4301 §4.4.2, §5.2;
RFC 4303 §3.4.2; secgw-reference.md §3.5).

An ESP packet's SA is found by SPI; a tunnel SA then requires the packet's outer source and
destination to equal its endpoints. Decryption uses the harness codec's decoder, one cached
per SA.
"""
from __future__ import annotations

import struct
from collections.abc import Sequence

from harness.codec.esp_decode import EspDecoded, EspDecoder
from harness.scenario.model import SecurityAssociation
from harness.verify.expectations import DropReason
from harness.verify.ipview import IpView

_ESP_HEADER = 8


class EspOpener:
    """SAD lookup and cached decoders for a set of SAs (keyed by SPI)."""

    def __init__(self, sas: Sequence[SecurityAssociation]) -> None:
        self.sas = {sa.spi: sa for sa in sas}
        self._decoders: dict[int, EspDecoder] = {}

    def lookup(self, l3: bytes, ip: IpView) -> SecurityAssociation | DropReason:
        """The SA for the ESP packet ``l3``, or the drop reason when there is none."""
        if len(l3) < ip.l4_offset + _ESP_HEADER:
            return DropReason.ESP_TRUNCATED
        spi = struct.unpack_from("!I", l3, ip.l4_offset)[0]
        sa = self.sas.get(spi)
        if sa is None:
            return DropReason.UNKNOWN_SPI
        if sa.is_tunnel and (ip.src_packed != sa.spec.tunnel_src.packed or ip.dst_packed != sa.spec.tunnel_dst.packed):
            return DropReason.BAD_TUNNEL_ADDRESS
        return sa

    def decoder(self, spi: int) -> EspDecoder:
        dec = self._decoders.get(spi)
        if dec is None:
            dec = self._decoders[spi] = EspDecoder(self.sas[spi].spec)
        return dec

    def decode(self, sa: SecurityAssociation, l3: bytes, seq_high: int) -> EspDecoded:
        return self.decoder(sa.spi).decode(l3, seq_high=seq_high)


def problem_names(decoded: EspDecoded) -> set[str]:
    """The decoder's problems as their plain names ("icv", "pad-bytes", ...)."""
    return {getattr(p, "value", p) for p in decoded.problems}
