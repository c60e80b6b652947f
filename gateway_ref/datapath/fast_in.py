"""``ipsec-in-fast``: the inbound common case of an unprotected port, decided once per flow.

Through the graph an inbound ESP packet costs seven per-packet loops (``Buf``,
``ethernet-input``, ``sad-in``, ``esp-decrypt`` twice, ``spd-in``, ``route``, ``tx``). This
node takes a whole burst when every packet of it is plain IPv4 ESP (20-byte header) for a
cpu-crypto SA of the IPv4 SAD whose tunnel endpoints match, and hands each SA's packets to
that SA's ``burst``: every packet's prepare and crypto first, then every finish in arrival
order — the burst-wise anti-replay of ``esp-decrypt``, so drop reasons are the graph's (ESP
fuses prepare and crypto for the common SA, ``esp/inbound.py``). A burst with any other
packet goes to the graph whole, for the same reason: splitting it would run some pre-checks
after other packets' finishes.

After decryption the inner packet's fate depends only on its flow: the inbound SPD must bypass
it or protect it by this SA, the route must give an enabled port. That verdict is kept per SA
and flow (protocol, then the address and port bytes the SPD reads, secgw-reference.md 1.1);
packets of such flows get their IPv4 checksum recomputed (as ``route`` does: secgw recomputes it
for every forwarded IPv4 packet), the MTU check of ``tx`` and the port's Ethernet header here.
Every other decrypted packet (inner IPv6, a flow the policy refuses, no route) is handed to the
graph at ``spd-in``, as ``esp-decrypt`` would, so all of a flow's packets of a burst take the
same way and its order holds. ``test_fast_in`` checks frames and counters against the graph.
"""
from __future__ import annotations

from typing import Any

from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.datapath.buf import Buf, SaCtx
from gateway_ref.datapath.counters import Counters
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.fast_out import MTU_DROP
from gateway_ref.datapath.l3 import ipv4_with_checksum
from gateway_ref.datapath.nodes_fwd import Tx

NAME = "ipsec-in-fast"
DECRYPT_NODE = "esp-decrypt"
CACHE_SIZE = 4096  # flows per SA and protocol; emptied when full
_ESP4 = b"\x08\x00\x45"  # ethertype IPv4, version 4, IHL 5
_V4 = Family.IPV4
_PROTECT, _BYPASS = PolicyAction.PROTECT, PolicyAction.BYPASS
_POLICY_KEYS = ((Family.IPV4, Direction.IN, PolicyAction.PROTECT), (Family.IPV4, Direction.IN, PolicyAction.BYPASS))

# per flow: (Ethernet header, tx port, index into _POLICY_KEYS) or None (the graph decides);
# counted by index per burst: hashing enum keys per packet is slow
Entry = tuple[bytes, int, int] | None


class _SaFlows:
    """One eligible SA and its inner-flow verdicts (a dict per protocol)."""

    __slots__ = ("sa", "addrs", "burst", "caches")

    def __init__(self, sa: SaCtx) -> None:
        self.sa = sa
        self.addrs = sa.addrs
        self.burst = sa.burst
        self.caches: list[dict[bytes, Entry]] = [{} for _ in range(256)]


class InboundFastPath:
    """The inbound fast path of one datapath (see the module docstring)."""

    def __init__(self, sad4: dict[bytes, SaCtx], spd4: Any, route4: Any, tx: Tx, counters: Counters) -> None:
        self._sas = {spi: _SaFlows(sa) for spi, sa in sad4.items() if sa.cpu}
        self._spd = spd4.lookup if spd4 is not None else None
        self._route = route4
        self._tx = tx
        self._counters = counters
        self.calls = 0
        self.packets = 0

    def _burst_sas(self, frames: list[bytes]) -> tuple[list[_SaFlows], list[bytes], bool] | None:
        """Each frame's SA and IP packet, and whether they all share one SA, when the whole
        burst is for the fast path, else None."""
        sas = self._sas
        flows_of: list[_SaFlows] = []
        l3s: list[bytes] = []
        last_key, flows, lookups = b"", None, 0
        for frame in frames:
            if len(frame) < 42 or frame[12:15] != _ESP4 or frame[23] != 50:
                return None  # UDP-encapsulated ESP (NAT-T) included: protocol 17
            end = 14 + ((frame[16] << 8) | frame[17])
            if end < 42 or end > len(frame):
                return None
            key = frame[26:38]  # outer source, destination, SPI
            if key != last_key:  # a burst is mostly one SA: look it up when it changes
                flows = sas.get(frame[34:38])
                if flows is None or (flows.addrs is not None and frame[26:34] != flows.addrs):
                    return None
                last_key = key
                lookups += 1
            flows_of.append(flows)  # type: ignore[arg-type]
            l3s.append(frame[14:end])
        return flows_of, l3s, lookups <= 1

    @staticmethod
    def _decrypt(flows_of: list[_SaFlows], l3s: list[bytes], one_sa: bool) -> list[Any]:
        """Every packet's ESP result, in arrival order, each SA's packets decrypted as one burst
        (SAs share no state, so splitting by SA changes no result)."""
        if one_sa:
            return flows_of[0].burst(l3s) if flows_of else []
        groups: dict[_SaFlows, list[int]] = {}
        for i, flows in enumerate(flows_of):
            groups.setdefault(flows, []).append(i)
        results: list[Any] = [None] * len(l3s)
        for flows, idx in groups.items():
            for i, res in zip(idx, flows.burst([l3s[i] for i in idx])):
                results[i] = res
        return results

    def _entry(self, flows: _SaFlows, inner: bytes) -> Entry:
        """A decrypted IPv4 packet's verdict, as ``spd-in``, ``route`` and ``tx`` would give it."""
        rule = self._spd(inner) if self._spd is not None else None
        if rule is None or not (rule.action is _BYPASS or (rule.action is _PROTECT and rule.spi == flows.sa.spi)):
            return None
        tx = self._tx
        port = self._route(inner[16:20])
        if port is None or (tx.ports is not None and port not in tx.ports):
            return None
        return tx.header(port, _V4), port, 0 if rule.action is _PROTECT else 1

    def run(self, port: int, frames: list[bytes]) -> list[Buf] | None:
        """Process ``frames`` when the whole burst is for the fast path: return the decrypted
        packets the graph must take at ``spd-in`` (often none); None: not taken, the graph
        gets the burst."""
        taken = self._burst_sas(frames)
        if taken is None:
            return None
        flows_of, l3s, one_sa = taken
        reason_type = DropReason
        to_graph: list[Buf] = []
        dropped: list[tuple[str, DropReason]] = []
        policy = [0, 0]
        out, mtu, fix, entry_of = self._tx.frames, self._tx.mtu, ipv4_with_checksum, self._entry
        before = {p: len(lst) for p, lst in out.items()}  # tx counted per burst, as ``tx`` does
        for res, flows in zip(self._decrypt(flows_of, l3s, one_sa), flows_of):
            if type(res) is reason_type:
                dropped.append((DECRYPT_NODE, res))
                continue
            inner, family = res
            entry: Entry = None
            if family is _V4 and len(inner) >= 24:
                cache = flows.caches[inner[9]]
                key = inner[12:24]
                entry = cache.get(key, False)  # type: ignore[arg-type]
                if entry is False:
                    if len(cache) >= CACHE_SIZE:
                        cache.clear()
                    entry = cache[key] = entry_of(flows, inner)
            if entry is None:
                buf = Buf(inner, port)
                buf.family = family
                buf.sa = flows.sa
                to_graph.append(buf)
                continue
            hdr, tx_port, action = entry
            policy[action] += 1
            data = fix(inner)
            if len(data) > mtu:
                dropped.append(MTU_DROP)
            else:
                out.setdefault(tx_port, []).append(hdr + data)
        self.calls += 1
        self.packets += len(frames)
        for key, k in zip(_POLICY_KEYS, policy):
            if k:
                self._counters.policy[key] += k
        self._counters.add_burst({p: len(lst) - before.get(p, 0) for p, lst in out.items()}, dropped)
        return to_graph
