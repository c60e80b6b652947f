"""Human-readable dump of the tables (what ``gateway-ref check -f CFG`` prints)."""
from __future__ import annotations

from gateway_ref.cfg.records import Direction, Family, SaMode, SaRule, SpRule
from gateway_ref.tables.l2 import SECGW_DEFAULT_NEIGH, format_mac
from gateway_ref.tables.sad import outer_family
from gateway_ref.tables.tables import Tables


def format_tables(tables: Tables) -> str:
    """SPDs in precedence order, SAs, routes, and per-port MACs, one section each."""
    lines = [f"cfg: {tables.config.source}"]
    for family in Family:
        for direction in Direction:
            lines.extend(_spd_section(tables, family, direction))
    for direction in (Direction.OUT, Direction.IN):
        lines.extend(_sad_section(tables, direction))
    for family in Family:
        lpm = tables.routes[family]
        entries = lpm.entries()
        lines.append(f"routes {_fam(family)} ({len(entries)}, longest prefix first):")
        lines.extend(f"  {prefix:<43} -> port {port}" for prefix, port in entries)
    lines.append("ports:")
    for port in _ports(tables):
        origin = _neigh_origin(tables, port)
        lines.append(f"  port {port}: src {format_mac(tables.port_mac(port))}  "
                     f"dst {format_mac(tables.neigh_mac(port))} ({origin})")
    return "\n".join(lines) + "\n"


def _spd_section(tables: Tables, family: Family, direction: Direction) -> list[str]:
    title = f"SPD {_fam(family)} {direction.value}"
    spd = tables.spd(family, direction)
    if spd is None:
        return [f"{title}: no rules -> SP stage skipped, every packet passes (secgw quirk)"]
    out = [f"{title} ({len(spd.rules)} rules, highest priority first; no match -> discard):"]
    out.extend(f"  {_sp_line(rule)}" for rule in spd.rules)
    return out


def _sp_line(rule: SpRule) -> str:
    action = f"protect {rule.spi}" if rule.spi is not None else rule.action.value
    proto = "any" if rule.proto_mask == 0 else f"{rule.proto_value}:{rule.proto_mask}"
    return (f"pri {rule.priority:<5} {action:<16} src {rule.src} dst {rule.dst} proto {proto} "
            f"sport {rule.sport[0]}:{rule.sport[1]} dport {rule.dport[0]}:{rule.dport[1]}"
            f"  (line {rule.pos.line})")


def _sad_section(tables: Tables, direction: Direction) -> list[str]:
    if direction is Direction.OUT:
        sas = list(tables.sad.outbound.values())
    else:
        sas = list(tables.sad.inbound.values())
    out = [f"SAD {direction.value} ({len(sas)} SAs, by SPI):"]
    out.extend(f"  {_sa_line(tables, sa)}" for sa in sorted(sas, key=lambda s: s.spi))
    return out


def _sa_line(tables: Tables, sa: SaRule) -> str:
    inner = tables.inner_family(sa)
    if sa.aead_algo is not None:
        algos = sa.aead_algo
    else:
        algos = f"{sa.cipher_algo}+{sa.auth_algo}"
    if sa.mode is SaMode.TRANSPORT:
        where = "transport"
    else:
        where = f"{sa.mode.value} {sa.src} -> {sa.dst}"
    extras = [f"type {sa.type.value}"]
    if sa.port_id is not None:
        extras.append(f"port_id {sa.port_id}")
    if sa.fallback is not None:
        extras.append(f"fallback {sa.fallback.value}")
    if sa.esn:
        extras.append(f"esn {sa.esn}")
    if sa.udp_encap:
        extras.append("udp-encap")
    if sa.flow_direction is not None:
        extras.append(f"flow-direction {sa.flow_direction[0]} {sa.flow_direction[1]}")
    if sa.mss:
        extras.append(f"mss {sa.mss}")
    extras += [name for name, on in (("reassembly_en", sa.reassembly_en),
                                       ("telemetry", sa.telemetry)) if on]
    return (f"spi {sa.spi:<10} {algos:<28} {where}  inner {_fam(inner)} outer "
            f"{_fam(outer_family(sa, inner))}  {' '.join(extras)}  (line {sa.pos.line})")


def _ports(tables: Tables) -> list[int]:
    cfg = tables.config
    ports = {r.port for r in cfg.rt} | {n.port for n in cfg.neigh} | set(tables.port_macs)
    ports |= {sa.port_id for sa in cfg.sa if sa.port_id is not None}
    return sorted(ports or {0, 1})


def _neigh_origin(tables: Tables, port: int) -> str:
    if any(n.port == port for n in tables.config.neigh):
        return "neigh"
    return "secgw default" if port in SECGW_DEFAULT_NEIGH else "no neigh: zero MAC"


def _fam(family: Family) -> str:
    return "ipv4" if family is Family.IPV4 else "ipv6"
