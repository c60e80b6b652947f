"""Scenarios with many tunnels, for scaling measurements (1 to 10 000 tunnels and beyond).

``scale_scenario(base, n)`` turns a one-tunnel preset (``presets.build_preset``) into ``n``
tunnel pairs with the preset's algorithm, mode, endpoints and options:

* tunnel ``k`` (0-based) has outbound SPI ``0x10000 + k`` and inbound SPI ``0x20000 + k``
  (all distinct, none equal to the preset's 1001/2001), keys SHA-256 derived from the preset
  name and ``k`` (``presets.derive_key``), so the same name and count give the same cfg;
* one protect rule pair per tunnel between single hosts: IPv4 inner
  ``198.18.64.0 + k``/32 (protected side) <-> ``198.19.64.0 + k``/32 (remote side), i.e. inside
  198.18.64.0/18 and 198.19.64.0/18 (16 384 hosts each, so up to ``MAX_TUNNELS`` tunnels fit
  in the RFC 2544 benchmarking range 198.18.0.0/15 without touching the preset's flow,
  bypass and discard /24s or its tunnel endpoints in 198.x.255.0/24); IPv6 inner
  ``2001:2:0:1:4000::`` + k/128 <-> ``2001:2:0:2:4000::`` + k/128;
* tunnel endpoints are shared by every tunnel (the preset's 198.18.255.1 <-> 198.19.255.1 or
  2001:2:0:ff::1 <-> 2001:2:0:fe::1): the SAD is found by SPI (RFC 4301 §4.4.2);
* routes stay the preset's aggregated /16 (/64) routes: secgw's LPM holds at most 1024 routes
  per family (secgw-reference.md §1.4), so per-tunnel routes would not scale and are not
  needed; the preset's bypass and discard rules are kept.

``host_pair(scenario, k)`` gives tunnel k's inner (protected, remote) hosts, which is how a
stream spreads packets over all tunnels: an ``inc`` variation on both inner addresses over
``host_range`` (see ``harness.perf.traffic``).
"""
from __future__ import annotations

import dataclasses
import ipaddress

from harness.scenario.model import Direction, Family, Policy, PolicyAction, SecurityAssociation, Tunnel
from harness.scenario.presets import derive_key
from harness.scenario.scenario import Scenario

OUT_SPI_BASE, IN_SPI_BASE = 0x10000, 0x20000
MAX_TUNNELS = 1 << 14  # hosts in each /18 (IPv4); also keeps out and in SPI ranges apart
PROTECT_PRIORITY = 10
INNER_BASES = {  # (protected-side first host, remote-side first host) per inner family
    Family.IPV4: (ipaddress.ip_address("198.18.64.0"), ipaddress.ip_address("198.19.64.0")),
    Family.IPV6: (ipaddress.ip_address("2001:2:0:1:4000::"), ipaddress.ip_address("2001:2:0:2:4000::")),
}
HostAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def host_pair(family: Family, k: int) -> tuple[HostAddress, HostAddress]:
    """Inner (protected-side, remote-side) hosts of tunnel ``k``."""
    if not 0 <= k < MAX_TUNNELS:
        raise ValueError(f"tunnel index {k} must be 0..{MAX_TUNNELS - 1}")
    prot, remote = INNER_BASES[family]
    return prot + k, remote + k


def host_range(family: Family, tunnels: int) -> tuple[tuple[str, str], tuple[str, str]]:
    """((first, last) protected-side host, (first, last) remote-side host) over ``tunnels``."""
    (p0, r0), (p1, r1) = host_pair(family, 0), host_pair(family, tunnels - 1)
    return (str(p0), str(p1)), (str(r0), str(r1))


def _sa(template: SecurityAssociation, name: str, k: int) -> SecurityAssociation:
    spec = template.spec
    spi = (OUT_SPI_BASE if template.direction is Direction.OUT else IN_SPI_BASE) + k
    label, seed = template.direction.value, f"{name}|tunnel{k}"
    if spec.aead is not None:
        keys = {"aead_key": derive_key(seed, f"{label}-aead", len(spec.aead_key))}
    else:
        keys = {"cipher_key": derive_key(seed, f"{label}-cipher", len(spec.cipher_key)),
                "auth_key": derive_key(seed, f"{label}-auth", len(spec.auth_key))}
    return dataclasses.replace(template, spec=dataclasses.replace(spec, spi=spi, **keys))


def _protect_pair(family: Family, k: int, out_spi: int, in_spi: int) -> tuple[Policy, Policy]:
    prot, remote = (ipaddress.ip_network(a) for a in host_pair(family, k))
    return (Policy(family, Direction.OUT, PolicyAction.PROTECT, out_spi, PROTECT_PRIORITY, prot, remote),
            Policy(family, Direction.IN, PolicyAction.PROTECT, in_spi, PROTECT_PRIORITY, remote, prot))


def scale_scenario(base: Scenario, tunnels: int) -> Scenario:
    """``base`` (one tunnel with both SAs) with ``tunnels`` tunnel pairs; see the module docstring."""
    if not isinstance(tunnels, int) or not 1 <= tunnels <= MAX_TUNNELS:
        raise ValueError(f"tunnels must be 1..{MAX_TUNNELS}, got {tunnels!r}")
    if len(base.tunnels) != 1 or base.tunnels[0].outbound is None or base.tunnels[0].inbound is None:
        raise ValueError(f"scenario {base.name!r}: scaling needs exactly one tunnel with both SAs")
    out_t, in_t = base.tunnels[0].outbound, base.tunnels[0].inbound
    family = out_t.inner_family
    kept = tuple(p for p in base.policies if p.action is not PolicyAction.PROTECT)
    new_tunnels, protect = [], []
    for k in range(tunnels):
        out_sa, in_sa = _sa(out_t, base.name, k), _sa(in_t, base.name, k)
        new_tunnels.append(Tunnel(f"t{k}", out_sa, in_sa))
        protect += _protect_pair(family, k, out_sa.spi, in_sa.spi)
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    fields |= {"name": f"{base.name}-x{tunnels}", "tunnels": tuple(new_tunnels), "policies": (*protect, *kept),
               "description": f"{base.description}; {tunnels} tunnels on /{family_bits(family)} hosts"}
    return Scenario(**fields)


def family_bits(family: Family) -> int:
    return 32 if family is Family.IPV4 else 128
