"""JSON forms of the scenario records: plain dicts with text for enums, addresses, MACs and keys.

``scenario_fields_from_dict`` returns the keyword arguments of ``Scenario``; every error is a
``ValueError`` naming the field (``ports[1].role``, ``tunnels[0].outbound.spec``, ...).
"""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from harness.codec.spec import EspSaSpec
from harness.scenario.jsonutil import mac_text, parse_enum, parse_mac
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

if TYPE_CHECKING:
    from harness.scenario.scenario import Scenario


def _net(net: ipaddress.IPv4Network | ipaddress.IPv6Network | None) -> str | None:
    return None if net is None else str(net)


def _sa_to_dict(sa: SecurityAssociation | None) -> dict[str, Any] | None:
    if sa is None:
        return None
    return {"direction": sa.direction.value, "spec": sa.spec.to_json(), "inner_family": sa.inner_family.value,
            "sa_type": sa.sa_type.value, "port_id": sa.port_id, "esn_start": sa.esn_start}


def _policy_to_dict(p: Policy) -> dict[str, Any]:
    return {"family": p.family.value, "direction": p.direction.value, "action": p.action.value,
            "spi": p.spi, "priority": p.priority, "src": _net(p.src), "dst": _net(p.dst),
            "proto": list(p.proto), "sport": None if p.sport is None else list(p.sport),
            "dport": None if p.dport is None else list(p.dport)}


def scenario_to_dict(s: Scenario) -> dict[str, Any]:
    return {
        "name": s.name,
        "description": s.description,
        "ports": [{"id": p.id, "role": p.role.value, "dut_mac": mac_text(p.dut_mac),
                   "tester_mac": mac_text(p.tester_mac)} for p in s.ports],
        "tunnels": [{"name": t.name, "outbound": _sa_to_dict(t.outbound), "inbound": _sa_to_dict(t.inbound)}
                    for t in s.tunnels],
        "policies": [_policy_to_dict(p) for p in s.policies],
        "routes": [{"prefix": str(r.prefix), "port": r.port} for r in s.routes],
        "neighbours": [{"port": n.port, "mac": mac_text(n.mac)} for n in s.neighbours],
        "options": {"replay_window": s.options.replay_window, "esn": s.options.esn,
                    "engine": s.options.engine.value},
    }


def _parse_net(value: object, where: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if value is None:
        return None
    try:
        return ipaddress.ip_network(str(value))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _range(value: object, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"{where} must be a [low, high] pair or null, got {value!r}")
    return (int(value[0]), int(value[1]))


def _sa_from_dict(data: dict[str, Any] | None, where: str) -> SecurityAssociation | None:
    if data is None:
        return None
    try:
        spec = EspSaSpec.from_json(data["spec"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{where}.spec: {exc}") from None
    return SecurityAssociation(
        direction=parse_enum(Direction, data.get("direction"), f"{where}.direction"),
        spec=spec,
        inner_family=parse_enum(Family, data.get("inner_family"), f"{where}.inner_family"),
        sa_type=parse_enum(SaType, data.get("sa_type", "no-offload"), f"{where}.sa_type"),
        port_id=data.get("port_id"),
        esn_start=int(data.get("esn_start", 0)),
    )


def _policy_from_dict(d: dict[str, Any], where: str) -> Policy:
    proto = d.get("proto", [0, 0])
    return Policy(
        family=parse_enum(Family, d.get("family"), f"{where}.family"),
        direction=parse_enum(Direction, d.get("direction"), f"{where}.direction"),
        action=parse_enum(PolicyAction, d.get("action"), f"{where}.action"),
        spi=d.get("spi"), priority=d.get("priority", 0),
        src=_parse_net(d.get("src"), f"{where}.src"), dst=_parse_net(d.get("dst"), f"{where}.dst"),
        proto=(int(proto[0]), int(proto[1])),
        sport=_range(d.get("sport", [0, 65535]), f"{where}.sport"),
        dport=_range(d.get("dport", [0, 65535]), f"{where}.dport"),
    )


def _route_from_dict(d: dict[str, Any], where: str) -> Route:
    net = _parse_net(d.get("prefix"), f"{where}.prefix")
    if net is None:
        raise ValueError(f"{where}.prefix is required")
    return Route(net, d.get("port", 0))


def scenario_fields_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for ``Scenario(...)`` from ``scenario_to_dict`` output."""
    if not isinstance(data, dict) or "name" not in data or "ports" not in data:
        raise ValueError("scenario JSON must be an object with at least 'name' and 'ports'")
    ports = tuple(
        Port(p.get("id"), parse_enum(PortRole, p.get("role"), f"ports[{i}].role"),
             parse_mac(p.get("dut_mac"), f"ports[{i}].dut_mac"), parse_mac(p.get("tester_mac"), f"ports[{i}].tester_mac"))
        for i, p in enumerate(data["ports"]))
    tunnels = tuple(
        Tunnel(t.get("name", ""), _sa_from_dict(t.get("outbound"), f"tunnels[{i}].outbound"),
               _sa_from_dict(t.get("inbound"), f"tunnels[{i}].inbound"))
        for i, t in enumerate(data.get("tunnels", [])))
    opts = data.get("options", {})
    return {
        "name": data["name"],
        "description": data.get("description", ""),
        "ports": ports,
        "tunnels": tunnels,
        "policies": tuple(_policy_from_dict(p, f"policies[{i}]") for i, p in enumerate(data.get("policies", []))),
        "routes": tuple(_route_from_dict(r, f"routes[{i}]") for i, r in enumerate(data.get("routes", []))),
        "neighbours": tuple(Neighbour(n.get("port"), parse_mac(n.get("mac"), f"neighbours[{i}].mac"))
                            for i, n in enumerate(data.get("neighbours", []))),
        "options": GatewayOptions(opts.get("replay_window", 0), bool(opts.get("esn", False)),
                                  parse_enum(Engine, opts.get("engine", "library"), "options.engine")),
    }
