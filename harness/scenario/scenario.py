"""``Scenario``: one whole gateway test setup, cross-checked the way secgw checks at start-up.

Cross checks (secgw-reference.md §1.2, §1.3, §2): SPIs unique per direction (secgw does not
reject duplicates cleanly; we do), every ``protect`` SPI exists among the SAs of its
direction, every SA is referenced by protect rules of exactly one family and that family is
the SA's inner family, ports named by routes/neighbours/SAs exist, an unprotected port needs
an inbound SA, and the engine runs every algorithm and SA type used.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Any

from harness.scenario import cfg_writer, serial
from harness.scenario.model import (
    Direction,
    Engine,
    Family,
    GatewayOptions,
    Neighbour,
    Policy,
    PolicyAction,
    Port,
    PortRole,
    Route,
    SaType,
    SecurityAssociation,
    Tunnel,
)
from harness.scenario.support import sa_type_reason, unsupported_reason


@dataclass(frozen=True)
class Scenario:
    """Ports, tunnels (SAs), SP policies, routes, neighbours and gateway options."""

    name: str
    ports: tuple[Port, ...]
    tunnels: tuple[Tunnel, ...] = ()
    policies: tuple[Policy, ...] = ()
    routes: tuple[Route, ...] = ()
    neighbours: tuple[Neighbour, ...] = ()
    options: GatewayOptions = field(default_factory=GatewayOptions)
    description: str = ""

    def __post_init__(self) -> None:
        for name in ("ports", "tunnels", "policies", "routes", "neighbours"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.ports:
            raise ValueError(f"Scenario {self.name!r}: ports must not be empty")
        ids = [p.id for p in self.ports]
        if len(set(ids)) != len(ids):
            raise ValueError(f"Scenario {self.name!r}: ports has duplicate ids {sorted(ids)}")
        self._check_sas()
        self._check_policies()
        self._check_port_refs()

    def _fail(self, message: str) -> None:
        raise ValueError(f"Scenario {self.name!r}: {message}")

    def _check_sas(self) -> None:
        seen: set[tuple[Direction, int]] = set()
        for sa in self.sas:
            key = (sa.direction, sa.spi)
            if key in seen:
                self._fail(f"tunnels: duplicate {sa.direction.value}bound SPI {sa.spi}")
            seen.add(key)
            spec = sa.spec
            for keyword in (spec.aead, spec.cipher, spec.auth):
                reason = None if keyword is None else unsupported_reason(keyword, self.options.engine)
                if reason:
                    self._fail(f"tunnels: SA {sa.direction.value} {sa.spi}: {reason}")
            reason = sa_type_reason(sa.sa_type, self.options.engine)
            if reason:
                self._fail(f"tunnels: SA {sa.direction.value} {sa.spi}: {reason}")
            self._check_esn(sa)

    def _check_esn(self, sa: SecurityAssociation) -> None:
        """The harness's ESN flag must match what the gateway will do (§2 ``-e``, §1.3 ``esn N``;
        the legacy engine has no ESN at all)."""
        if self.options.engine is Engine.LEGACY:
            gateway_esn = False
        else:
            gateway_esn = self.options.esn or sa.esn_start > 0
        if sa.spec.esn != gateway_esn:
            self._fail(f"tunnels: SA {sa.direction.value} {sa.spi}: spec.esn is {sa.spec.esn} but the "
                       f"gateway runs it with ESN {'on' if gateway_esn else 'off'} (options.esn "
                       f"{self.options.esn}, esn_start {sa.esn_start}, engine {self.options.engine.value})")

    def _check_policies(self) -> None:
        families: dict[tuple[Direction, int], set[Family]] = {}
        for pol in self.policies:
            if pol.action is PolicyAction.PROTECT:
                assert pol.spi is not None
                if self.sa(pol.direction, pol.spi) is None:
                    self._fail(f"policies: protect {pol.spi} ({pol.direction.value}) names no "
                               f"{pol.direction.value}bound SA")
                families.setdefault((pol.direction, pol.spi), set()).add(pol.family)
                self._check_inline_transport(pol)
        for sa in self.sas:
            fams = families.get((sa.direction, sa.spi), set())
            if not fams:
                self._fail(f"policies: SA {sa.direction.value} {sa.spi} is not used by any protect rule")
            if len(fams) > 1:
                self._fail(f"policies: SA {sa.direction.value} {sa.spi} is used by both IPv4 and IPv6 rules")
            if fams != {sa.inner_family}:
                self._fail(f"policies: SA {sa.direction.value} {sa.spi} has inner_family "
                           f"{sa.inner_family.name} but its protect rules are {next(iter(fams)).name}")

    def _check_inline_transport(self, pol: Policy) -> None:
        """Inline-crypto transport SAs take their addresses from the SP rule, which must name
        one host each way (secgw-reference.md §1.3)."""
        sa = self.sa(pol.direction, pol.spi) if pol.spi is not None else None
        if sa is None or sa.is_tunnel or sa.sa_type is not SaType.INLINE_CRYPTO:
            return
        for net in (pol.src, pol.dst):
            if net is None or net.prefixlen != net.max_prefixlen or int(net.network_address) == 0:
                self._fail(f"policies: protect {pol.spi} feeds an inline-crypto transport SA, so src and dst "
                           f"must be single non-zero hosts (/32 or /128), got {net}")

    def _check_port_refs(self) -> None:
        ids = {p.id for p in self.ports}
        for rt in self.routes:
            if rt.port not in ids:
                self._fail(f"routes: {rt.prefix} goes to port {rt.port}, which is not in ports {sorted(ids)}")
        for nb in self.neighbours:
            if nb.port not in ids:
                self._fail(f"neighbours: port {nb.port} is not in ports {sorted(ids)}")
        for sa in self.sas:
            if sa.port_id is not None and sa.port_id not in ids:
                self._fail(f"tunnels: SA {sa.direction.value} {sa.spi} port_id {sa.port_id} is not in ports")
        if self.unprotected_port_mask and not any(sa.direction is Direction.IN for sa in self.sas):
            self._fail("an unprotected port needs at least one inbound SA (secgw refuses -u without 'sa in')")

    @functools.cached_property
    def sas(self) -> tuple[SecurityAssociation, ...]:
        """Every SA, tunnel by tunnel (computed once: the scenario is frozen)."""
        return tuple(sa for tun in self.tunnels for sa in tun.sas)

    @functools.cached_property
    def _sa_index(self) -> dict[tuple[Direction, int], SecurityAssociation]:
        """(direction, SPI) -> the first SA with it, so that cross checks stay linear in the
        tunnel count (10 000 tunnels and more)."""
        index: dict[tuple[Direction, int], SecurityAssociation] = {}
        for sa in self.sas:
            index.setdefault((sa.direction, sa.spi), sa)
        return index

    def sa(self, direction: Direction, spi: int) -> SecurityAssociation | None:
        return self._sa_index.get((direction, spi))

    def port(self, port_id: int) -> Port:
        for p in self.ports:
            if p.id == port_id:
                return p
        raise KeyError(f"Scenario {self.name!r} has no port {port_id}")

    def ports_with_role(self, role: PortRole) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.role is role)

    @property
    def unprotected_port_mask(self) -> int:
        """secgw ``-u`` bit mask, derived from the port roles."""
        return sum(1 << p.id for p in self.ports if p.role is PortRole.UNPROTECTED)

    def to_cfg(self) -> str:
        """ipsec-secgw cfg text (sp, sa, rt, neigh lines)."""
        return cfg_writer.write_cfg(self)

    def dut_args(self) -> list[str]:
        """secgw-like options: ``-u MASK -w N [-e] --engine library|legacy``."""
        return cfg_writer.dut_args(self)

    def to_dict(self) -> dict[str, Any]:
        return serial.scenario_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        return cls(**serial.scenario_fields_from_dict(data))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        return cls.from_dict(json.loads(text))
