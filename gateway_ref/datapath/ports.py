"""The emulated NIC receive side for inline SAs (secgw-reference.md 3.10).

An unprotected port with inline inbound SAs looks at each frame as a NIC with security
sessions would: Ethernet, ESP, SA by SPI and tunnel endpoints. For ``inline-crypto-offload``
it prepares and runs the op at receive and hands the packet to ``esp-decrypt-post`` (the
graph does the post checks: replay re-check, padding, next header, decap); for
``inline-protocol-offload`` it does all of ESP and hands the inner packet to ``spd-in``. A
packet whose ESP step fails goes to ``drop`` under its reason (node ``port-rx``). Anything it
cannot take (not ESP, unknown SA, tunnel address mismatch, non-inline SA) goes to
``ethernet-input`` untouched, where the graph handles or drops it, so every packet is counted
exactly once. Inbound inline SAs are taken on
every unprotected port (their ``port_id`` is not checked at RX).
"""
from __future__ import annotations

from typing import Any

from gateway_ref.crypto.placement import Placement
from gateway_ref.datapath.buf import Buf, SaCtx
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import ESP_IN_REASONS
from gateway_ref.cfg.records import Family
from gateway_ref.datapath.l3 import esp_offset, strip_ethernet
from gateway_ref.datapath.nodes_in import endpoints_match, sad_by_family

NODE = "port-rx"  # drops at the port are counted under this node name
PORT_RX_DROPS = ESP_IN_REASONS
_V4 = Family.IPV4
_INLINE_CRYPTO = Placement.INLINE_CRYPTO


class InlineRx:
    """Receive-side inline IPsec of the emulated ports."""

    def __init__(self, tables: Any, sas: dict[int, SaCtx], natt: bool) -> None:
        self.sad = sad_by_family(tables, sas)
        self.natt = natt

    def receive(self, bufs: list[Buf]) -> dict[str, list[Buf]]:
        """Split a received burst into the graph nodes where each packet enters."""
        plain: list[Buf] = []
        crypto_done: list[Buf] = []
        esp_done: list[Buf] = []
        dropped: list[Buf] = []
        for buf in bufs:
            dest = self._take(buf)
            (plain, crypto_done, esp_done, dropped)[dest].append(buf)
        return {"ethernet-input": plain, "esp-decrypt-post": crypto_done, "spd-in": esp_done, "drop": dropped}

    def _sa(self, l3: bytes, family: Any, off: int) -> SaCtx | None:
        """The inline SA for this ESP packet, or None to leave it to the graph. A tunnel address
        mismatch is left to ``sad-in`` too, which counts it: peek without counting here."""
        sa = self.sad[0 if family is _V4 else 1].get(l3[off:off + 4])
        if sa is None or not sa.inline or not endpoints_match(sa, l3, family):
            return None
        return sa

    def _take(self, buf: Buf) -> int:
        """0: not ours; 1: crypto done; 2: ESP done; 3: dropped."""
        parsed = strip_ethernet(buf.data)
        if type(parsed) is DropReason:
            return 0
        l3, family = parsed  # type: ignore[misc]
        off = esp_offset(l3, family, self.natt)
        if type(off) is not int or off + 8 > len(l3):
            return 0
        sa = self._sa(l3, family, off)
        if sa is None:
            return 0
        buf.sa = sa
        if sa.placement is _INLINE_CRYPTO:
            op = sa.prepare(l3)  # the ESP runtime counts a failure: drop here, not twice
            if type(op) is DropReason:
                buf.reason, buf.node = op, NODE
                return 3
            op.run()
            buf.data, buf.family, buf.op = l3, family, op
            return 1
        res = sa.whole(l3)
        if type(res) is DropReason:
            buf.reason, buf.node = res, NODE
            return 3
        buf.data, buf.family = res
        return 2
