"""The gateway's lookups, modelled from the RFCs and secgw-reference.md, on the harness scenario.

- SPD (RFC 4301 §4.4.1; secgw §1.2, §3.4): the matching rule of highest priority wins (ties:
  the first listed); selectors are prefixes, protocol value/mask and inclusive port ranges;
  ports come from fixed offsets (secgw) or the real L4 header, per profile. No match is
  DISCARD (default deny); an empty table is pass-through only under a profile that says so.
- SAD (RFC 4301 §4.4.2; secgw §3.5): inbound by SPI, then for tunnel SAs the outer source and
  destination must equal the SA's endpoints.
- Routing (secgw §3.8): longest-prefix match, the last of equal prefixes wins.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from harness.scenario.model import Direction, Family, Policy, PolicyAction, Route
from harness.verify.ipview import IpView, ports_at
from harness.verify.profiles import PortSelector, Profile

_PORTED = frozenset((6, 17, 132))  # TCP, UDP, SCTP
_ICMP = frozenset((1, 58))
_NOT_SET = (0, 0)
_CACHE_MAX = 1 << 16  # flows remembered per table  # secgw reads an omitted sport/dport as the range 0:0


def selector_ports(pkt: bytes, view: IpView, selector: PortSelector) -> tuple[int, int]:
    """The (sport, dport) the SPD compares: secgw reads bytes 20-23 / 40-43 whatever the
    header; RFC 4301 §4.4.1.1 reads TCP/UDP/SCTP ports, and ICMP type and code."""
    if selector is PortSelector.FIXED_OFFSET:
        return ports_at(pkt, 20 if view.version == 4 else 40)
    if view.upper_proto in _PORTED:
        return ports_at(pkt, view.l4_offset)
    if view.upper_proto in _ICMP and len(pkt) >= view.l4_offset + 2:
        return pkt[view.l4_offset], pkt[view.l4_offset + 1]
    return 0, 0


def _in_range(value: int, rng: tuple[int, int] | None) -> bool:
    low, high = rng if rng is not None else _NOT_SET
    return low <= value <= high


def rule_matches(rule: Policy, view: IpView, proto: int, ports: tuple[int, int]) -> bool:
    if rule.src is not None and (rule.src.version != view.version or view.src not in rule.src):
        return False
    if rule.dst is not None and (rule.dst.version != view.version or view.dst not in rule.dst):
        return False
    value, mask = rule.proto
    if proto & mask != value & mask:
        return False
    return _in_range(ports[0], rule.sport) and _in_range(ports[1], rule.dport)


class Spd:
    """The policies of one family and direction, ordered by priority (stable for ties)."""

    def __init__(self, rules: Sequence[Policy]) -> None:
        self.rules = tuple(sorted(rules, key=lambda r: -r.priority))
        self._cache: dict[tuple, Policy | None] = {}  # selector values -> winning rule

    def lookup(self, pkt: bytes, view: IpView, profile: Profile) -> Policy | None:
        """The winning rule, or None when nothing matches (memoised per selector values)."""
        proto = view.proto if profile.port_selector is PortSelector.FIXED_OFFSET else view.upper_proto
        ports = selector_ports(pkt, view, profile.port_selector)
        key = (proto, view.src_packed, view.dst_packed, ports, profile.port_selector)
        try:
            return self._cache[key]
        except KeyError:
            pass
        found = None
        for rule in self.rules:
            if rule_matches(rule, view, proto, ports):
                found = rule
                break
        if len(self._cache) < _CACHE_MAX:
            self._cache[key] = found
        return found


def build_spds(policies: Sequence[Policy]) -> dict[tuple[Family, Direction], Spd]:
    out: dict[tuple[Family, Direction], list[Policy]] = {}
    for pol in policies:
        out.setdefault((pol.family, pol.direction), []).append(pol)
    return {k: Spd(v) for k, v in out.items()}


def action_of(rule: Policy | None) -> PolicyAction | None:
    return None if rule is None else rule.action


class Routes:
    """Longest-prefix match over the scenario's routes."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self._routes = tuple(routes)
        self._cache: dict[bytes, int | None] = {}

    def lookup(self, dst: bytes) -> int | None:
        """Output port for the packed destination address ``dst`` (memoised)."""
        if dst in self._cache:
            return self._cache[dst]
        port = self._lpm(ipaddress.ip_address(dst))
        if len(self._cache) < _CACHE_MAX:
            self._cache[dst] = port
        return port

    def _lpm(self, dst: ipaddress.IPv4Address | ipaddress.IPv6Address) -> int | None:
        best: Route | None = None
        for route in self._routes:
            if route.prefix.version == dst.version and dst in route.prefix:
                if best is None or route.prefix.prefixlen >= best.prefix.prefixlen:
                    best = route
        return None if best is None else best.port
