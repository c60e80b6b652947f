"""``ipsec-out-fast``: the outbound common case of a protected port, decided once per flow.

Through the graph an outbound packet costs five per-packet loops (``Buf``, ``ethernet-input``,
``spd-out``, ``esp-encrypt``, ``tx``), most of it bookkeeping that gives the same answer for
every packet of a flow. For a flow whose SPD verdict is PROTECT with a cpu-crypto SA that
leaves by a fixed, enabled port, everything after the SPD lookup is fixed: encrypt with the
SA's synchronous ``whole`` and prepend that port's Ethernet header. This node keeps that
decision per flow, keyed as the SPD cache is (protocol, then the address and port bytes the
SPD reads, secgw-reference.md 1.1), and runs such packets in one loop: VPP's flow cache idea
in front of its graph.

It takes the longest prefix of a burst whose packets it can handle; from the first packet it
cannot (not plain IPv4 with a 20-byte header, ESP or NAT-T UDP, shorter than the SPD's
selector bytes, a flow that is not eligible) the rest of the burst goes through the graph,
in order. So per-flow and per-SA order never changes, and every case but the common one keeps
the graph's semantics (the graph stays the reference; ``test_fast_out`` checks that a burst
gives the same frames and counters with and without this node). Counters are the graph's:
port tx, SPD protect, ESP drops under ``esp-encrypt``, MTU drops under ``tx``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.datapath.buf import SaCtx
from gateway_ref.datapath.counters import Counters
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.nodes_fwd import Tx

NAME = "ipsec-out-fast"
CACHE_SIZE = 4096  # flows per protocol; emptied when full (as the SPD's own cache)
MIN_END = 14 + 24  # Ethernet + the 24 IPv4 bytes the SPD reads (proto .. dport)
_PLAIN_IPV4 = b"\x08\x00\x45"  # ethertype IPv4, version 4, IHL 5
_PROTECT4 = (Family.IPV4, Direction.OUT, PolicyAction.PROTECT)
ENCRYPT_NODE = "esp-encrypt"  # the graph node whose drops ESP's would be
MTU_DROP = (Tx.name, DropReason.MTU_EXCEEDED)

# per flow: (encrypt, Ethernet header, tx port) or None (not for the fast path)
Entry = tuple[Callable[[bytes], Any], bytes, int] | None


class OutboundFastPath:
    """The fast path of one datapath (see the module docstring)."""

    def __init__(self, spd4: Any, sas: dict[int, SaCtx], tx: Tx, counters: Counters, natt: bool) -> None:
        self._lookup = spd4.lookup if spd4 is not None else None
        self._sas = sas
        self._tx = tx
        self._counters = counters
        self._natt_udp = 17 if natt else -1
        self._caches: list[dict[bytes, Entry]] = [{} for _ in range(256)]
        self.calls = 0
        self.packets = 0

    def _entry(self, l3: bytes) -> Entry:
        """The flow's fast decision, from the same SPD lookup ``spd-out`` makes."""
        rule = self._lookup(l3) if self._lookup is not None else None
        if rule is None or rule.action is not PolicyAction.PROTECT:
            return None
        sa = self._sas[rule.spi]
        tx = self._tx
        port = sa.tx_port
        if not sa.cpu or port < 0 or (tx.ports is not None and port not in tx.ports):
            return None
        return sa.whole, tx.header(port, sa.outer_family), port

    def run(self, frames: list[bytes]) -> int:
        """Handle the longest prefix of ``frames`` it can; return its length (the caller sends
        ``frames[n:]`` through the graph)."""
        caches, natt_udp, entry_of = self._caches, self._natt_udp, self._entry
        reason_type, mtu = DropReason, self._tx.mtu
        out = self._tx.frames
        before = {p: len(lst) for p, lst in out.items()}  # tx counted per burst, as ``tx`` does
        dropped: list[tuple[str, DropReason]] = []
        n = 0
        for frame in frames:
            if len(frame) < MIN_END or frame[12:15] != _PLAIN_IPV4:
                break
            end = 14 + ((frame[16] << 8) | frame[17])
            proto = frame[23]
            if end < MIN_END or end > len(frame) or proto == 50 or proto == natt_udp:
                break
            cache = caches[proto]
            key = frame[26:38]
            entry = cache.get(key, False)
            l3 = frame[14:end]
            if entry is False:
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                entry = cache[key] = entry_of(l3)
            if entry is None:
                break
            n += 1
            encrypt, hdr, port = entry
            res = encrypt(l3)
            if type(res) is reason_type:
                dropped.append((ENCRYPT_NODE, res))
            elif len(res) > mtu:
                dropped.append(MTU_DROP)
            else:
                out.setdefault(port, []).append(hdr + res)
        if n:
            self.calls += 1
            self.packets += n
            self._counters.policy[_PROTECT4] += n
            self._counters.add_burst({p: len(lst) - before.get(p, 0) for p, lst in out.items()}, dropped)
        return n
