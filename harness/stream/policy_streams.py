"""Streams that exercise a scenario's SP rules: one per policy, aimed at its prefixes.

For each policy the stream goes from the first host of its ``src`` prefix to the first host of
its ``dst`` prefix (a wildcard side uses the scenario's tunnel-free benchmarking defaults),
with ports and protocol inside the rule's ranges. Outbound rules send clear packets into the
first protected port; inbound rules send into the first unprotected port, encrypted with the
rule's SA when the action is ``protect`` (what the peer would send) and clear otherwise
(bypass, discard). Stream ids are 1, 2, ... in policy order; names are
``<action>-<direction>-v<family>`` (with a ``-N`` suffix if a name repeats).
"""
from __future__ import annotations

import ipaddress

from harness.scenario.model import Direction, Family, Policy, PolicyAction, PortRole
from harness.scenario.scenario import Scenario
from harness.stream.sizes import SizeSpec
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import HeaderTemplate, L4Proto

_WILDCARD_HOST = {Family.IPV4: "198.18.0.1", Family.IPV6: "2001:2::1"}
_PROTO = {17: L4Proto.UDP, 6: L4Proto.TCP}


def _host(net: ipaddress.IPv4Network | ipaddress.IPv6Network | None, family: Family) -> str:
    if net is None:
        return _WILDCARD_HOST[family]
    return str(net.network_address + 1) if net.num_addresses > 1 else str(net.network_address)


def _port_for(s: Scenario, direction: Direction) -> int:
    role = PortRole.UNPROTECTED if direction is Direction.IN else PortRole.PROTECTED
    ports = s.ports_with_role(role)
    if not ports:
        raise ValueError(f"Scenario {s.name!r} has no {role.value} port for {direction.value}bound streams")
    return ports[0].id


def _pick_port(rng: tuple[int, int] | None) -> int:
    """1024 when the rule's range holds it, else its low end; an omitted range means 0:0."""
    if rng is None:
        return 0
    return 1024 if rng[0] <= 1024 <= rng[1] else rng[0]


def _template(pol: Policy) -> HeaderTemplate:
    value, mask = pol.proto
    proto = _PROTO.get(value & mask, L4Proto.UDP) if mask else L4Proto.UDP
    return HeaderTemplate(_host(pol.src, pol.family), _host(pol.dst, pol.family), proto,
                          sport=_pick_port(pol.sport), dport=_pick_port(pol.dport))


def policy_streams(scenario: Scenario, count: int, sizes: SizeSpec | None = None) -> dict[str, StreamSpec]:
    """One stream per policy of ``scenario`` (see the module docstring), ``count`` packets each."""
    out: dict[str, StreamSpec] = {}
    for i, pol in enumerate(scenario.policies, start=1):
        esp = None
        if pol.direction is Direction.IN and pol.action is PolicyAction.PROTECT:
            assert pol.spi is not None  # Policy guarantees it for protect
            sa = scenario.sa(Direction.IN, pol.spi)
            assert sa is not None  # Scenario guarantees it
            esp = EspStreamSpec(sa.spec, max(sa.esn_start, 1))
        name = f"{pol.action.value}-{pol.direction.value}-v{pol.family.value}"
        if name in out:
            name = f"{name}-{i}"
        out[name] = StreamSpec(i, _template(pol), count, sizes or SizeSpec.fixed(128),
                               port=_port_for(scenario, pol.direction), esp=esp, name=name)
    return out
