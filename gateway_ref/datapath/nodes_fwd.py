"""Forwarding nodes: ``route``, ``tx``, ``drop`` (secgw-reference.md 3.3, 3.8).

``route``: LPM on the destination of the packet as it is now: the inner (only) header for
clear and decrypted packets, the OUTER header for encrypted ones (ESP set the outer family, so
IPv6-in-IPv4 goes to the IPv4 table). Packets of SAs with a fixed port never come here: inline
SAs use their ``port_id`` and a tunnel SA's outer destination is routed once when the datapath
is built (the tables never change); the ESP nodes send those to ``tx`` directly. IPv4 packets
forwarded in clear get their header checksum recomputed (our ESP builds correct outer
checksums). The library engine does not decrement TTL, nor do we. Nexts: ``tx``; drops NO_ROUTE.

``tx``: the emulated ports. A packet for a port that is not enabled is dropped (NO_TX_PORT;
secgw's ``-p`` mask: see ``DatapathOptions.ports``). For inline SAs the port applies crypto
now: inline-crypto runs the prepared op and finishes it, inline-protocol does all of ESP. An
L3 packet longer than the MTU is dropped (MTU_EXCEEDED: secgw's ``--mtu`` without
reassembly, secgw-reference.md 3.8). Then Ethernet: source = port MAC, destination = neighbour
MAC, ethertype by family. Frames collect per port in ``frames``. Nexts: ``drop``. Counts
per-port tx.

``drop``: the sink of every drop; counts by reason, by dropping node and per SA.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_ref.cfg.records import Family
from gateway_ref.crypto.placement import Placement
from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.counters import Counters
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import ESP_OUT_REASONS
from gateway_ref.datapath.graph import Node, drop_to
from gateway_ref.datapath.l3 import ETHERTYPE_IPV4, ETHERTYPE_IPV6, ipv4_with_checksum

_V4 = Family.IPV4
_INLINE_PROTOCOL = Placement.INLINE_PROTOCOL


ROUTE_CACHE_SIZE = 4096
MAX_L3 = 1 << 32  # no MTU: longer than any packet


def _cached(lookup: Callable[[bytes], int | None]) -> Callable[[bytes], int | None]:
    """``lookup`` with a destination -> port cache, emptied when it reaches ROUTE_CACHE_SIZE."""
    cache: dict[bytes, int | None] = {}
    get = cache.get
    miss = object()

    def cached(dst: bytes) -> int | None:
        port = get(dst, miss)
        if port is miss:
            if len(cache) >= ROUTE_CACHE_SIZE:
                cache.clear()
            port = cache[dst] = lookup(dst)
        return port  # type: ignore[return-value]
    return cached


class Route(Node):
    name = "route"
    nexts = ("tx", "drop")
    drops = frozenset({DropReason.NO_ROUTE})

    def __init__(self, tables: Any) -> None:
        super().__init__()
        # bound LPM lookups (Tables.route would hash the Family enum per packet), fronted by
        # a bounded exact-match cache per family: the tables never change, so it is never stale
        self.lookup4 = _cached(tables.routes[_V4].lookup)
        self.lookup6 = _cached(tables.routes[Family.IPV6].lookup)

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        v4 = _V4  # a local: cheaper than a global per packet
        tx, drops, fix = out["tx"].append, out["drop"], ipv4_with_checksum
        lookup4, lookup6 = self.lookup4, self.lookup6
        for buf in bufs:
            sa = buf.sa
            data = buf.data
            if buf.family is v4:
                port = lookup4(data[16:20])
                if (sa is None or not sa.outbound) and port is not None:  # clear or decrypted
                    buf.data = fix(data)
            else:
                port = lookup6(data[24:40])
            if port is None:
                drop_to(drops, buf, DropReason.NO_ROUTE, self.name)
            else:
                buf.tx_port = port
                tx(buf)


class Tx(Node):
    name = "tx"
    nexts = ("drop",)
    drops = ESP_OUT_REASONS | {DropReason.MTU_EXCEEDED, DropReason.NO_TX_PORT}

    def __init__(self, tables: Any, counters: Counters, mtu: int | None, ports: frozenset[int] | None) -> None:
        super().__init__()
        self.tables = tables
        self.mtu = MAX_L3 if mtu is None else mtu
        self.ports = ports  # enabled ports; None: every port
        self.port_tx = counters.port_tx
        self.headers4: dict[int, bytes] = {}  # Ethernet header per port, by family
        self.headers6: dict[int, bytes] = {}
        self.frames: dict[int, list[bytes]] = {}

    def header(self, port: int, family: Family) -> bytes:
        hdr = self.tables.neigh_mac(port) + self.tables.port_mac(port)
        hdr += ETHERTYPE_IPV4 if family is _V4 else ETHERTYPE_IPV6
        (self.headers4 if family is _V4 else self.headers6)[port] = hdr
        return hdr

    def take_frames(self) -> dict[int, list[bytes]]:
        """Frames sent since the last call, per port."""
        frames, self.frames = self.frames, {}
        return frames

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        v4, mtu, enabled = _V4, self.mtu, self.ports  # locals: cheaper per packet
        drops, frames, counts = out["drop"], self.frames, self.port_tx
        headers4, headers6 = self.headers4, self.headers6
        before = {port: len(lst) for port, lst in frames.items()}
        for buf in bufs:
            port = buf.tx_port
            if enabled is not None and port not in enabled:
                drop_to(drops, buf, DropReason.NO_TX_PORT, self.name)
                continue
            sa = buf.sa
            if sa is not None and sa.outbound and sa.inline:
                reason = self._inline_crypto(buf)
                if reason is not None:
                    drop_to(drops, buf, reason, self.name)
                    continue
            if len(buf.data) > mtu:
                drop_to(drops, buf, DropReason.MTU_EXCEEDED, self.name)
                continue
            hdr = (headers4 if buf.family is v4 else headers6).get(port) or self.header(port, buf.family)
            lst = frames.get(port)
            if lst is None:
                lst = frames[port] = []
            lst.append(hdr + buf.data)
        for port, lst in frames.items():  # per-port tx counts once per burst, not per packet
            counts[port] += len(lst) - before.get(port, 0)

    def _inline_crypto(self, buf: Buf) -> DropReason | None:
        """The port encrypts: run the prepared op (inline-crypto) or all of ESP (inline-protocol)."""
        sa = buf.sa
        if sa.placement is _INLINE_PROTOCOL:  # type: ignore[union-attr]
            res = sa.whole(buf.data)  # type: ignore[union-attr]
        else:
            buf.op.run()
            res = sa.finish(buf.op)  # type: ignore[union-attr]
            buf.op = None
        if type(res) is DropReason:
            return res
        buf.data = res
        buf.family = sa.outer_family  # type: ignore[union-attr]
        return None


class Drop(Node):
    name = "drop"
    nexts = ()

    def __init__(self, counters: Counters) -> None:
        super().__init__()
        self.reasons = counters.drops
        self.by_node = counters.drops_by_node

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        drops, by_node = self.reasons, self.by_node
        for buf in bufs:
            drops[buf.reason] += 1  # type: ignore[index]
            by_node[(buf.node, buf.reason)] += 1  # type: ignore[index]
            buf.data = b""
