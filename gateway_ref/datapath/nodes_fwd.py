"""Forwarding nodes: ``route``, ``tx``, ``drop`` (secgw-reference.md 3.3, 3.8).

``route``: LPM on the destination of the packet as it is now: the inner (only) header for
clear and decrypted packets, the OUTER header for encrypted ones (``esp-encrypt-post`` set
the outer family, so IPv6-in-IPv4 goes to the IPv4 table). Packets of inline SAs (crypto or
protocol) use the SA's ``port_id``, LPM bypassed. IPv4 packets forwarded in clear get their
header checksum recomputed (ours ESP builds correct outer checksums). The library engine does
not decrement TTL, nor do we. Nexts: ``tx``; drops NO_ROUTE.

``tx``: the emulated ports. For inline SAs the port applies crypto now: inline-crypto runs
the prepared op and finishes it, inline-protocol does all of ESP. Then Ethernet: source =
port MAC, destination = neighbour MAC, ethertype by family. Frames collect per port in
``frames``. Nexts: ``drop`` (inline crypto failures). Counts per-port tx.

``drop``: the sink of every drop; counts by reason, by dropping node and per SA.
"""
from __future__ import annotations

from typing import Any

from gateway_ref.cfg.records import Family
from gateway_ref.crypto.placement import Placement
from gateway_ref.crypto.placement_protocol import ProtocolJob
from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.counters import Counters
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import EspOps
from gateway_ref.datapath.graph import Node, drop_to
from gateway_ref.datapath.l3 import ETHERTYPE_IPV4, ETHERTYPE_IPV6, ipv4_with_checksum

_V4 = Family.IPV4


class Route(Node):
    name = "route"
    nexts = ("tx", "drop")

    def __init__(self, tables: Any) -> None:
        super().__init__()
        self.lookup = tables.route

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        tx, drops, lookup, fix = out["tx"].append, out["drop"], self.lookup, ipv4_with_checksum
        for buf in bufs:
            sa = buf.sa
            if sa is not None and sa.outbound:
                if sa.placement.is_inline:
                    buf.tx_port = sa.port_id
                    tx(buf)
                    continue
                clear = False
            else:
                clear = True
            data = buf.data
            if buf.family is _V4:
                port = lookup(_V4, data[16:20])
                if clear and port is not None:
                    buf.data = fix(data)
            else:
                port = lookup(Family.IPV6, data[24:40])
            if port is None:
                drop_to(drops, buf, DropReason.NO_ROUTE, self.name)
            else:
                buf.tx_port = port
                tx(buf)


class Tx(Node):
    name = "tx"
    nexts = ("drop",)

    def __init__(self, tables: Any, counters: Counters, esp: EspOps) -> None:
        super().__init__()
        self.tables = tables
        self.port_tx = counters.port_tx
        self.esp = esp
        self.headers: dict[tuple[int, Family], bytes] = {}
        self.frames: dict[int, list[bytes]] = {}

    def header(self, port: int, family: Family) -> bytes:
        hdr = self.tables.neigh_mac(port) + self.tables.port_mac(port)
        hdr += ETHERTYPE_IPV4 if family is _V4 else ETHERTYPE_IPV6
        self.headers[(port, family)] = hdr
        return hdr

    def take_frames(self) -> dict[int, list[bytes]]:
        """Frames sent since the last call, per port."""
        frames, self.frames = self.frames, {}
        return frames

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        drops, headers, frames, counts = out["drop"], self.headers, self.frames, self.port_tx
        for buf in bufs:
            sa = buf.sa
            if sa is not None and sa.outbound and sa.placement.is_inline:
                reason = self._inline_crypto(buf)
                if reason is not None:
                    drop_to(drops, buf, reason, self.name)
                    continue
            port, fam = buf.tx_port, buf.family
            hdr = headers.get((port, fam)) or self.header(port, fam)
            lst = frames.get(port)
            if lst is None:
                lst = frames[port] = []
            lst.append(hdr + buf.data)
            counts[port] += 1

    def _inline_crypto(self, buf: Buf) -> DropReason | None:
        """The port encrypts: run the prepared op (inline-crypto) or all of ESP (inline-protocol)."""
        sa = buf.sa
        if sa.placement is Placement.INLINE_PROTOCOL:  # type: ignore[union-attr]
            res = ProtocolJob(self.esp.encrypt_prepare, self.esp.encrypt_finish, sa.esp, buf.data).run()  # type: ignore[union-attr]
        else:
            buf.op.run()
            res = self.esp.encrypt_finish(buf.op)
            buf.op = None
        if type(res) is DropReason:
            sa.drops += 1  # type: ignore[union-attr]
            return res
        sa.packets += 1  # type: ignore[union-attr]
        sa.bytes += len(buf.data)  # type: ignore[union-attr]
        buf.data = res
        buf.family = sa.outer_family  # type: ignore[union-attr]
        return None


class Drop(Node):
    name = "drop"
    nexts = ()

    def __init__(self, counters: Counters) -> None:
        super().__init__()
        self.drops = counters.drops
        self.by_node = counters.drops_by_node

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        drops, by_node = self.drops, self.by_node
        for buf in bufs:
            drops[buf.reason] += 1  # type: ignore[index]
            by_node[buf.node] += 1
            buf.data = b""
