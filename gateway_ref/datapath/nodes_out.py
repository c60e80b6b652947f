"""Outbound nodes: ``spd-out``, ``esp-encrypt``, ``esp-encrypt-post`` (secgw-reference.md 3.3).

RFC 4301 section 5.1 (outbound processing: SPD lookup selects protect/bypass/discard, default
deny), RFC 4303 section 3.3 (outbound packet processing, done by ``gateway_ref.esp``).

A packet whose SA sends it out of a fixed port (inline ``port_id``, or a tunnel whose outer
destination the datapath routed once) goes straight to ``tx`` with ``buf.tx_port`` set, as
VPP's ESP nodes hand packets to the SA's adjacency; others go to ``route``.

``spd-out``: in: clear packets from a protected port. Looks up the outbound SPD of the
packet's family: protect S -> encrypt with outbound SA S, bypass -> ``route``, discard ->
drop SP_DISCARD, no match -> drop SP_NO_MATCH (default deny). No outbound rules for the family
-> ``route`` unchecked (secgw quirk). Protected packets go to ``esp-encrypt``, except
protocol offloads: lookaside-protocol -> ``crypto-lookaside`` (the engine does all of ESP),
inline-protocol -> ``tx``/``route`` (the TX port does all of ESP). Counters: per-policy.

``esp-encrypt``: cpu-crypto SAs: all of ESP here, synchronously (VPP runs sync crypto inside
its esp-encrypt node too), then ``tx``/``route``. Other SAs: prepares the op (sequence number,
headers, padding): no-offload -> ``crypto-lookaside``; inline-crypto -> ``tx``/``route`` (the
TX port runs the op). Drops whatever ESP returns (SEQUENCE_EXHAUSTED, ...).

``esp-encrypt-post``: finishes lookaside completions in the order received (the outer
packet), sets the outer family. Nexts: ``tx``/``route``; drops finish's reasons. (The ESP
runtime counts per-SA packets.)
"""
from __future__ import annotations

from typing import Any

from gateway_ref.cfg.records import Direction, Family, PolicyAction
from gateway_ref.crypto.placement import Placement
from gateway_ref.crypto.placement_protocol import ProtocolJob
from gateway_ref.datapath.buf import Buf, SaCtx
from gateway_ref.datapath.counters import Counters, add_policy_counts
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.espops import ESP_OUT_REASONS
from gateway_ref.datapath.graph import Node, drop_to

_BYPASS, _DISCARD = PolicyAction.BYPASS, PolicyAction.DISCARD
_V4 = Family.IPV4
_LOOKASIDE_PROTOCOL, _INLINE_PROTOCOL = Placement.LOOKASIDE_PROTOCOL, Placement.INLINE_PROTOCOL


class SpdOut(Node):
    name = "spd-out"
    nexts = ("esp-encrypt", "crypto-lookaside", "route", "tx", "drop")
    drops = frozenset({DropReason.SP_DISCARD, DropReason.SP_NO_MATCH})

    def __init__(self, spds: dict[Family, Any], sas: dict[int, SaCtx], counters: Counters) -> None:
        super().__init__()
        self.lookups = tuple(None if spds[f] is None else spds[f].lookup for f in (Family.IPV4, Family.IPV6))
        self.sas = sas  # outbound SPI -> SaCtx
        self.policy = counters.policy
        self.skipped = counters.policy_skipped

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        # locals: cheaper than globals per packet
        v4, bypass, discard = _V4, _BYPASS, _DISCARD
        inline_protocol, lookaside_protocol = _INLINE_PROTOCOL, _LOOKASIDE_PROTOCOL
        enc, look, route = out["esp-encrypt"].append, out["crypto-lookaside"].append, out["route"].append
        drops, sas = out["drop"], self.sas
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
            if rule is None:
                counts[base + 2] += 1
                drop_to(drops, buf, DropReason.SP_NO_MATCH, self.name)
                continue
            action = rule.action
            if action is bypass:
                counts[base + 1] += 1
                route(buf)
            elif action is discard:
                counts[base + 2] += 1
                drop_to(drops, buf, DropReason.SP_DISCARD, self.name)
            else:
                counts[base] += 1
                sa = sas[rule.spi]
                buf.sa = sa
                placement = sa.placement
                if placement is inline_protocol:
                    to_port(buf, sa, out)
                elif placement is lookaside_protocol:
                    buf.op = ProtocolJob(sa.whole, buf.data)
                    look(buf)
                else:
                    enc(buf)
        add_policy_counts(self.policy, self.skipped, Direction.OUT, counts)


def to_port(buf: Buf, sa: SaCtx, out: dict[str, list[Buf]]) -> None:
    """``tx`` on the SA's fixed port when it has one, else ``route``."""
    port = sa.tx_port
    if port >= 0:
        buf.tx_port = port
        out["tx"].append(buf)
    else:
        out["route"].append(buf)


class EspEncrypt(Node):
    name = "esp-encrypt"
    nexts = ("crypto-lookaside", "route", "tx", "drop")
    drops = ESP_OUT_REASONS

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        reason_type = DropReason  # a local: cheaper than a global per packet
        look, route, tx = out["crypto-lookaside"].append, out["route"].append, out["tx"].append
        drops = out["drop"]
        for buf in bufs:
            sa = buf.sa
            if sa.cpu:  # type: ignore[union-attr]
                res = sa.whole(buf.data)  # type: ignore[union-attr]
                if type(res) is reason_type:
                    drop_to(drops, buf, res, self.name)
                    continue
                buf.data = res
                buf.family = sa.outer_family  # type: ignore[union-attr]
            else:
                op = sa.prepare(buf.data)  # type: ignore[union-attr]
                if type(op) is reason_type:
                    drop_to(drops, buf, op, self.name)
                    continue
                buf.op = op
                if sa.lookaside:  # type: ignore[union-attr]
                    look(buf)
                    continue
            port = sa.tx_port  # type: ignore[union-attr]
            if port >= 0:
                buf.tx_port = port
                tx(buf)
            else:
                route(buf)


class EspEncryptPost(Node):
    name = "esp-encrypt-post"
    nexts = ("route", "tx", "drop")
    drops = ESP_OUT_REASONS

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        reason_type, lookaside_protocol = DropReason, _LOOKASIDE_PROTOCOL  # locals: cheaper per packet
        drops, route, tx = out["drop"], out["route"].append, out["tx"].append
        for buf in bufs:
            sa = buf.sa
            op = buf.op
            buf.op = None
            res = op.result if sa.placement is lookaside_protocol else sa.finish(op)  # type: ignore[union-attr]
            if type(res) is reason_type:
                drop_to(drops, buf, res, self.name)
                continue
            buf.data = res
            buf.family = sa.outer_family  # type: ignore[union-attr]
            port = sa.tx_port  # type: ignore[union-attr]
            if port >= 0:
                buf.tx_port = port
                tx(buf)
            else:
                route(buf)
