"""Inbound nodes: ``sad-in``, ``esp-decrypt``, ``esp-decrypt-post``, ``spd-in`` (secgw-reference.md 3.2, 3.5).

RFC 4301 section 5.2 (inbound IPsec processing: SAD lookup, then the decrypted packet must match
the policy of the SA it came through; clear traffic matching a protect policy is dropped) and
RFC 4303 section 3.4.3 (replay check before the ICV, window advanced only after it verifies),
with secgw's quirks noted below.

``sad-in``: in: ESP packets from an unprotected port (``buf.esp_off`` set). SA by SPI in the
table of the packet's (outer) family; for tunnel SAs outer source AND destination must equal
the SA's endpoints. Nexts: ``esp-decrypt``; ``crypto-lookaside`` for lookaside-protocol SAs
(whole ESP in the engine); drops UNKNOWN_SPI, BAD_TUNNEL_ADDRESS.

``esp-decrypt``: prepare (length checks, anti-replay pre-check) for the whole burst first.
no-offload ops go to ``crypto-lookaside``; the others (cpu-crypto, and inline SAs the port could
not take) are decrypted here and, after every packet of the burst was prepared, finished in
arrival order as ``esp-decrypt-post`` would (VPP runs sync crypto inside its esp-decrypt node
too). Nexts: ``crypto-lookaside``, ``spd-in``; drops prepare's and finish's reasons.

``esp-decrypt-post``: lookaside and inline completions: finish in arrival order (ICV result, replay re-check and window advance,
padding and next-header checks, decap). Nexts: ``spd-in``; drops finish's reasons. (The ESP
runtime counts per-SA packets, bytes and drops; the datapath adds tunnel-address drops.)

``spd-in``: in: clear packets and decrypted packets (``buf.sa`` = the SA that decrypted
them). bypass -> ``route``; discard -> SP_DISCARD; no match -> SP_NO_MATCH; protect S:
clear -> SP_CLEAR_PROTECTED, decrypted by another SA -> SP_WRONG_SA, else ``route``; no
inbound rules for the family -> ``route`` unchecked.
"""
from __future__ import annotations

from typing import Any

from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.crypto.placement import Placement
from gateway_ref.crypto.placement_protocol import ProtocolJob
from gateway_ref.datapath.buf import Buf, SaCtx
from gateway_ref.datapath.counters import Counters, add_policy_counts
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import ESP_IN_REASONS
from gateway_ref.datapath.graph import Node, drop_to

_IN = Direction.IN
_V4 = Family.IPV4
_BYPASS, _PROTECT = PolicyAction.BYPASS, PolicyAction.PROTECT
_LOOKASIDE_PROTOCOL = Placement.LOOKASIDE_PROTOCOL


def sad_by_family(tables: Any, sas: dict[int, SaCtx]) -> tuple[dict[bytes, SaCtx], dict[bytes, SaCtx]]:
    """SPI -> SaCtx per outer family (IPv4, IPv6), read once through ``Tables.sa_in``. Keyed by
    the SPI's 4 wire bytes: a packet's SPI slice is looked up as it is, no int conversion."""
    out: tuple[dict[bytes, SaCtx], dict[bytes, SaCtx]] = ({}, {})
    for spi, ctx in sas.items():
        for table, family in zip(out, (Family.IPV4, Family.IPV6)):
            rule = tables.sa_in(family, spi)
            if rule is not None:
                table[spi.to_bytes(4, "big")] = ctx
    return out


def endpoints_match(sa: SaCtx, l3: bytes, family: Family) -> bool:
    """True for transport SAs, else whether the outer source and destination are the SA's."""
    addrs = sa.addrs
    return addrs is None or (l3[12:20] if family is _V4 else l3[8:40]) == addrs


class SadIn(Node):
    name = "sad-in"
    nexts = ("esp-decrypt", "crypto-lookaside", "drop")
    drops = frozenset({DropReason.UNKNOWN_SPI, DropReason.BAD_TUNNEL_ADDRESS})

    def __init__(self, tables: Any, sas: dict[int, SaCtx]) -> None:
        super().__init__()
        self.sad = sad_by_family(tables, sas)

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        v4, lookaside_protocol = _V4, _LOOKASIDE_PROTOCOL  # locals: cheaper per packet
        dec, look, drops = out["esp-decrypt"].append, out["crypto-lookaside"].append, out["drop"]
        sad4, sad6 = self.sad
        for buf in bufs:
            # SPI in the table of the outer family, then the tunnel endpoints (cf. endpoints_match)
            data, off = buf.data, buf.esp_off
            v4pkt = buf.family is v4
            sa = (sad4 if v4pkt else sad6).get(data[off:off + 4])
            if sa is None:
                drop_to(drops, buf, DropReason.UNKNOWN_SPI, self.name)
                continue
            if sa.addrs is not None and (data[12:20] if v4pkt else data[8:40]) != sa.addrs:
                sa.drops += 1
                drop_to(drops, buf, DropReason.BAD_TUNNEL_ADDRESS, self.name)
                continue
            buf.sa = sa
            if sa.placement is lookaside_protocol:  # type: ignore[union-attr]
                buf.op = ProtocolJob(sa.whole, buf.data)  # type: ignore[union-attr]
                look(buf)
            else:
                dec(buf)


class EspDecrypt(Node):
    name = "esp-decrypt"
    nexts = ("crypto-lookaside", "spd-in", "drop")
    drops = ESP_IN_REASONS

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        reason_type = DropReason  # a local: cheaper than a global per packet
        look, drops = out["crypto-lookaside"].append, out["drop"]
        here: list[Buf] = []
        keep = here.append
        for buf in bufs:  # every pre-check of the burst before any finish (anti-replay in bursts)
            sa = buf.sa
            op = sa.prepare(buf.data)  # type: ignore[union-attr]
            if type(op) is reason_type:
                drop_to(drops, buf, op, self.name)
                continue
            buf.op = op
            if sa.lookaside:  # type: ignore[union-attr]
                look(buf)
            else:
                op.run()
                keep(buf)
        spd = out["spd-in"].append
        for buf in here:
            res = buf.sa.finish(buf.op)  # type: ignore[union-attr]
            buf.op = None
            if type(res) is reason_type:
                drop_to(drops, buf, res, self.name)
                continue
            buf.data, buf.family = res
            spd(buf)


class EspDecryptPost(Node):
    name = "esp-decrypt-post"
    nexts = ("spd-in", "drop")
    drops = ESP_IN_REASONS

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        reason_type, lookaside_protocol = DropReason, _LOOKASIDE_PROTOCOL  # locals: cheaper per packet
        spd, drops = out["spd-in"].append, out["drop"]
        for buf in bufs:
            sa = buf.sa
            op = buf.op
            buf.op = None
            res = op.result if sa.placement is lookaside_protocol else sa.finish(op)  # type: ignore[union-attr]
            if type(res) is reason_type:
                drop_to(drops, buf, res, self.name)
                continue
            buf.data, buf.family = res
            spd(buf)


class SpdIn(Node):
    name = "spd-in"
    nexts = ("route", "drop")
    drops = frozenset({DropReason.SP_DISCARD, DropReason.SP_NO_MATCH, DropReason.SP_CLEAR_PROTECTED,
                       DropReason.SP_WRONG_SA})

    def __init__(self, spds: dict[Family, Any], counters: Counters) -> None:
        super().__init__()
        self.lookups = tuple(None if spds[f] is None else spds[f].lookup for f in (Family.IPV4, Family.IPV6))
        self.policy = counters.policy
        self.skipped = counters.policy_skipped

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        v4, bypass, protect = _V4, _BYPASS, _PROTECT  # locals: cheaper per packet
        route, drops = out["route"].append, out["drop"]
        lookup4, lookup6 = self.lookups
        counts = [0] * 8  # per family (0 = IPv4, 4 = IPv6): protect, bypass, discard, unchecked
        for buf in bufs:
            base = 0 if buf.family is v4 else 4
            lookup = lookup4 if base == 0 else lookup6
            if lookup is None:
                counts[base + 3] += 1
                route(buf)
                continue
            rule = lookup(buf.data)
            if rule is not None:  # the two ways through; _refusal says why anything else is dropped
                action = rule.action
                if action is bypass:
                    counts[base + 1] += 1
                    route(buf)
                    continue
                sa = buf.sa
                if action is protect and sa is not None and sa.spi == rule.spi:
                    counts[base] += 1
                    route(buf)
                    continue
            counts[base + 2] += 1
            drop_to(drops, buf, _refusal(rule, buf.sa), self.name)
        add_policy_counts(self.policy, self.skipped, _IN, counts)


def _refusal(rule: Any, sa: SaCtx | None) -> DropReason:
    """Why the inbound policy refuses a packet that is neither bypassed nor protected by its SA."""
    if rule is None:
        return DropReason.SP_NO_MATCH
    if rule.action is PolicyAction.DISCARD:
        return DropReason.SP_DISCARD
    return DropReason.SP_CLEAR_PROTECTED if sa is None else DropReason.SP_WRONG_SA
