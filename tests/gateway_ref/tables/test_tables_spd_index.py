"""The indexed SPD lookup equals a linear scan of the rules in precedence order (property test).

The oracle below is the reference semantics written independently of ``Spd``'s index
(secgw-reference.md 1.2 and 3.4): rules sorted by priority, highest first, ties in file order;
the first rule whose proto value/mask, src/dst prefixes (``ipaddress`` membership) and inclusive
port ranges hold wins; fields are read at fixed offsets and missing bytes count as 0.
"""
from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway_ref.cfg.errors import SourcePos
from gateway_ref.cfg.records import Direction, Family, PolicyAction, SpRule
from gateway_ref.tables import Spd

V4_BASE = int(ipaddress.IPv4Address("198.18.0.0"))  # 198.18.0.0/15
V6_BASE = int(ipaddress.IPv6Address("2001:2::"))  # 2001:2::/48
V4_POOL = [0, 1, 2, 0xFF, 0x100, 0x1FF, 0x10000, 0x10001, 0x1FFFF]
V6_POOL = [0, 1, 2, 0xFF, 1 << 64, (1 << 64) + 1, (1 << 79), (1 << 80) - 1]
LAYOUT = {Family.IPV4: (9, 12, 4), Family.IPV6: (6, 8, 16)}  # proto offset, src offset, address bytes


def _offsets(family: Family, anywhere: bool = True) -> st.SearchStrategy[int]:
    """Host offsets in the family's test range: a small pool (so that rules share prefixes and
    prefix-length pairs, and packets hit them), plus anywhere in the range if ``anywhere``."""
    pool = st.sampled_from(V4_POOL if family is Family.IPV4 else V6_POOL)
    if not anywhere:
        return pool
    return st.one_of(pool, st.integers(0, 0x1FFFF if family is Family.IPV4 else (1 << 80) - 1))


def _address(family: Family, offset: int) -> int:
    return (V4_BASE if family is Family.IPV4 else V6_BASE) + offset


def _network(family: Family) -> st.SearchStrategy[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    if family is Family.IPV4:
        lengths = st.sampled_from([0, 15, 16, 24, 31, 32])
        make = ipaddress.IPv4Network
    else:
        lengths = st.sampled_from([0, 48, 64, 127, 128])
        make = ipaddress.IPv6Network
    return st.builds(lambda off, n: make((_address(family, off), n), strict=False),
                     _offsets(family, anywhere=False), lengths)


_PORTS = st.sampled_from([0, 1, 2, 80, 443, 4500, 65535])
_RANGES = st.tuples(_PORTS, _PORTS).map(lambda r: (min(r), max(r)))
_PROTOS = st.sampled_from([0, 1, 6, 17, 50, 255])
_MASKS = st.sampled_from([0, 255, 0xF0, 0x0F, 1])


def _rules(family: Family) -> st.SearchStrategy[list[SpRule]]:
    rule = st.builds(
        lambda pri, src, dst, pv, pm, sp, dp, line: SpRule(
            family, Direction.OUT, PolicyAction.BYPASS, None, pri, src, dst, pv, pm, sp, dp,
            SourcePos("t.cfg", line, 1)),
        st.integers(0, 4), _network(family), _network(family), _PROTOS, _MASKS, _RANGES, _RANGES,
        st.integers(1, 10_000))
    return st.lists(rule, min_size=1, max_size=40)


def _packet(family: Family) -> st.SearchStrategy[bytes]:
    proto_at, src_at, n = LAYOUT[family]

    def build(proto: int, src: int, dst: int, sport: int, dport: int, cut: int) -> bytes:
        data = bytearray(src_at + 2 * n + 4)
        data[proto_at] = proto
        data[src_at:src_at + 2 * n] = src.to_bytes(n, "big") + dst.to_bytes(n, "big")
        data[src_at + 2 * n:] = sport.to_bytes(2, "big") + dport.to_bytes(2, "big")
        return bytes(data[:len(data) - cut])

    offsets = _offsets(family).map(lambda off: _address(family, off))
    return st.builds(build, _PROTOS, offsets, offsets, _PORTS, _PORTS, st.sampled_from([0, 0, 0, 1, 3, 5]))


def linear_oracle(rules: list[SpRule], packet: bytes) -> SpRule | None:
    proto_at, src_at, n = LAYOUT[rules[0].family]
    data = packet.ljust(src_at + 2 * n + 4, b"\0")
    make = ipaddress.IPv4Address if n == 4 else ipaddress.IPv6Address
    proto = data[proto_at]
    src, dst = make(data[src_at:src_at + n]), make(data[src_at + n:src_at + 2 * n])
    sport = int.from_bytes(data[src_at + 2 * n:src_at + 2 * n + 2], "big")
    dport = int.from_bytes(data[src_at + 2 * n + 2:src_at + 2 * n + 4], "big")
    for rule in sorted(rules, key=lambda r: -r.priority):
        if ((proto & rule.proto_mask) == (rule.proto_value & rule.proto_mask) and src in rule.src
                and dst in rule.dst and rule.sport[0] <= sport <= rule.sport[1]
                and rule.dport[0] <= dport <= rule.dport[1]):
            return rule
    return None


def _check(family: Family, rules: list[SpRule], packets: list[bytes], extra: list[bytes]) -> None:
    # Packets aimed at rules' own selectors make matches likely, not just possible.
    table = Spd(family, Direction.OUT, rules, cache_size=4)
    for packet in packets + extra + packets:  # the repeat goes through the cache
        assert table.lookup(packet) is linear_oracle(rules, packet)


def _aimed(rules: list[SpRule]) -> list[bytes]:
    proto_at, src_at, n = LAYOUT[rules[0].family]
    out = []
    for rule in rules:
        data = bytearray(src_at + 2 * n + 4)
        data[proto_at] = rule.proto_value
        data[src_at:src_at + 2 * n] = rule.src.network_address.packed + rule.dst.broadcast_address.packed
        data[src_at + 2 * n:] = rule.sport[1].to_bytes(2, "big") + rule.dport[0].to_bytes(2, "big")
        out.append(bytes(data))
    return out


@settings(max_examples=120, deadline=None)
@given(st.data())
def test_indexed_lookup_equals_linear_scan_ipv4(data):
    rules = data.draw(_rules(Family.IPV4))
    packets = data.draw(st.lists(_packet(Family.IPV4), min_size=1, max_size=20))
    _check(Family.IPV4, rules, packets, _aimed(rules))


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_indexed_lookup_equals_linear_scan_ipv6(data):
    rules = data.draw(_rules(Family.IPV6))
    packets = data.draw(st.lists(_packet(Family.IPV6), min_size=1, max_size=20))
    _check(Family.IPV6, rules, packets, _aimed(rules))


def test_many_host_rules_each_find_their_own_tunnel():
    """10 000 /32 protect pairs (the scale layout): every host pair finds its rule, a broader
    lower-priority rule catches the rest, and a higher-priority overlap still wins."""
    net = ipaddress.IPv4Network
    pos = SourcePos("t.cfg", 1, 1)
    rules = [SpRule(Family.IPV4, Direction.OUT, PolicyAction.PROTECT, 0x10000 + k, 10,
                    net((V4_BASE + 0x4000 + k, 32)), net((V4_BASE + 0x14000 + k, 32)), 0, 0,
                    (0, 65535), (0, 65535), pos) for k in range(10_000)]
    rules.append(SpRule(Family.IPV4, Direction.OUT, PolicyAction.BYPASS, None, 5, net((V4_BASE, 15)),
                        net((V4_BASE, 15)), 0, 0, (0, 65535), (0, 65535), pos))
    rules.append(SpRule(Family.IPV4, Direction.OUT, PolicyAction.DISCARD, None, 20,
                        net((V4_BASE + 0x4000 + 77, 32)), net((V4_BASE, 15)), 17, 255, (0, 65535),
                        (0, 65535), pos))
    table = Spd(Family.IPV4, Direction.OUT, rules)
    probes = [(k, proto) for k in (0, 1, 77, 4_999, 9_999, 10_000) for proto in (6, 17)]
    for k, proto in probes:
        packet = bytearray(24)
        packet[9] = proto
        packet[12:20] = (V4_BASE + 0x4000 + k).to_bytes(4, "big") + (V4_BASE + 0x14000 + k).to_bytes(4, "big")
        assert table.lookup(bytes(packet)) is linear_oracle(rules, bytes(packet))
