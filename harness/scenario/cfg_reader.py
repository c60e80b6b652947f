"""A small, independent reader of ipsec-secgw cfg text back into a ``Scenario``
(secgw-reference.md §1.1 lexing, §1.2 sp, §1.3 sa, §1.4 rt, §1.5 neigh).

Enough to recover SAs, keys, policies, routes and neighbours (``ipsec-harness inspect -f CFG``);
it is not the gateway's parser and does not model every quirk. Lexing: whole-line ``#``
comments, trailing ``#`` comments, ``\\`` continuation joining the next line with no separator.
``flow`` rules (NIC steering hints) are skipped. Anything else it does not understand raises
``CfgReadError`` naming ``source:line`` and the token. Port roles and gateway options are not
in the cfg; they come from ``args`` (secgw-like ``-u MASK -w N -e --engine E``).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from harness.codec.spec import EspMode, EspSaSpec
from harness.scenario.jsonutil import parse_mac
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
    default_dut_mac,
    default_tester_mac,
)
from harness.scenario.scenario import Scenario


class CfgReadError(ValueError):
    """``str()`` is ``SOURCE:LINE: MESSAGE (token 'TOK')``."""

    def __init__(self, source: str, line: int, message: str, token: str | None = None) -> None:
        where = f"{source}:{line}: " if line else f"{source}: "
        super().__init__(where + message + (f" (token {token!r})" if token is not None else ""))
        self.source, self.line, self.token = source, line, token


@dataclass
class _Rule:
    line: int
    words: list[str]


def logical_lines(text: str) -> Iterator[_Rule]:
    """Comment-stripped, continuation-joined rules with the line number they start on."""
    buf, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith("#"):
            continue
        line = raw.split("#", 1)[0]
        if not buf:
            start = number
        if line.rstrip().endswith("\\"):
            buf += line.rstrip()[:-1]
            continue
        buf += line
        if buf.split():
            yield _Rule(start, buf.split())
        buf = ""
    if buf.split():
        yield _Rule(start, buf.split())


@dataclass
class _Cursor:
    """Token cursor over one rule that raises errors naming line and token."""

    source: str
    rule: _Rule
    pos: int = 0

    def fail(self, message: str, token: str | None = None) -> CfgReadError:
        return CfgReadError(self.source, self.rule.line, message, token)

    def more(self) -> bool:
        return self.pos < len(self.rule.words)

    def next(self, what: str) -> str:
        if not self.more():
            raise self.fail(f"missing {what} at end of rule")
        self.pos += 1
        return self.rule.words[self.pos - 1]

    def number(self, what: str, high: int = (1 << 64) - 1) -> int:
        tok = self.next(what)
        if not tok.isdigit() or int(tok) > high:
            raise self.fail(f"{what} must be a decimal number 0..{high}", tok)
        return int(tok)

    def pair(self, what: str) -> tuple[int, int]:
        tok = self.next(what)
        low, sep, high = tok.partition(":")
        if not sep or not low.isdigit() or not high.isdigit():
            raise self.fail(f"{what} must be LOW:HIGH", tok)
        return int(low), int(high)

    def prefix(self, what: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        tok = self.next(what)
        try:
            return ipaddress.ip_network(tok if "/" in tok else tok + "/0", strict=False)
        except ValueError:
            raise self.fail(f"{what} must be an address/prefix", tok) from None

    def address(self, what: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        """A plain address; a ``/len`` suffix is stripped and ignored, as secgw does for sa."""
        tok = self.next(what)
        try:
            return ipaddress.ip_address(tok.split("/", 1)[0])
        except ValueError:
            raise self.fail(f"{what} must be an address", tok) from None

    def key(self, what: str) -> bytes:
        tok = self.next(what)
        parts = tok.split(":")
        if not all(1 <= len(p) <= 2 for p in parts):
            raise self.fail(f"{what} must be ':'-separated hex bytes", tok)
        try:
            return bytes(int(p, 16) for p in parts)
        except ValueError:
            raise self.fail(f"{what} must be ':'-separated hex bytes", tok) from None


def _family(cur: _Cursor) -> Family:
    tok = cur.next("family")
    if tok not in ("ipv4", "ipv6"):
        raise cur.fail("expected ipv4 or ipv6", tok)
    return Family.IPV4 if tok == "ipv4" else Family.IPV6


def _direction(cur: _Cursor) -> Direction:
    tok = cur.next("direction")
    if tok not in ("in", "out"):
        raise cur.fail("expected in or out", tok)
    return Direction(tok)


def _read_sp(cur: _Cursor) -> Policy:
    family, direction = _family(cur), _direction(cur)
    if cur.next("'esp'") != "esp":
        raise cur.fail("expected 'esp'", cur.rule.words[cur.pos - 1])
    tok = cur.next("action")
    try:
        action = PolicyAction(tok)
    except ValueError:
        raise cur.fail("expected protect, bypass or discard", tok) from None
    opts: dict[str, object] = {"spi": cur.number("SPI", 0xFFFFFFFF) if action is PolicyAction.PROTECT else None}
    readers = {"pri": lambda: cur.number("pri"), "src": lambda: cur.prefix("src"), "dst": lambda: cur.prefix("dst"),
               "proto": lambda: cur.pair("proto"), "sport": lambda: cur.pair("sport"), "dport": lambda: cur.pair("dport")}
    opts.update({"sport": None, "dport": None})
    while cur.more():
        tok = cur.next("option")
        if tok not in readers:
            raise cur.fail("unknown sp option", tok)
        opts["priority" if tok == "pri" else tok] = readers[tok]()
    try:
        return Policy(family, direction, action, **opts)  # type: ignore[arg-type]
    except ValueError as exc:
        raise cur.fail(str(exc)) from None


@dataclass
class _SaDraft:
    direction: Direction
    spi: int
    line: int
    fields: dict[str, object] = field(default_factory=dict)
    sa_type: SaType = SaType.NO_OFFLOAD
    port_id: int | None = None
    esn_start: int = 0
    outer: Family | None = None


def _read_algo(cur: _Cursor, draft: _SaDraft, kind: str) -> None:
    draft.fields[kind] = name = cur.next(f"{kind}_algo name")
    if kind != "aead" and name == "null":
        return
    if cur.next(f"{kind}_key") != f"{kind}_key":
        raise cur.fail(f"expected {kind}_key after {kind}_algo {name}", cur.rule.words[cur.pos - 1])
    draft.fields[f"{kind}_key"] = cur.key(f"{kind}_key")


def _read_sa_option(cur: _Cursor, draft: _SaDraft, tok: str) -> None:
    if tok in ("cipher_algo", "auth_algo", "aead_algo"):
        _read_algo(cur, draft, tok.split("_")[0])
    elif tok == "mode":
        mode = cur.next("mode")
        if mode not in ("ipv4-tunnel", "ipv6-tunnel", "transport"):
            raise cur.fail("mode must be ipv4-tunnel, ipv6-tunnel or transport", mode)
        draft.fields["mode"] = EspMode.TRANSPORT if mode == "transport" else EspMode.TUNNEL
        draft.outer = None if mode == "transport" else Family.IPV4 if mode.startswith("ipv4") else Family.IPV6
    elif tok in ("src", "dst"):
        if "mode" not in draft.fields:
            raise cur.fail(f"{tok} before mode (secgw ignores it there)", tok)
        addr = cur.address(tok)
        if draft.outer is None or addr.version != draft.outer.value:
            raise cur.fail(f"{tok} address does not fit the mode", str(addr))
        draft.fields[f"tunnel_{tok}"] = addr
    elif tok == "type":
        value = cur.next("type")
        try:
            draft.sa_type = SaType(value)
        except ValueError:
            raise cur.fail("unsupported SA type", value) from None
    elif tok == "port_id":
        draft.port_id = cur.number("port_id", 255)
    elif tok == "esn":
        draft.esn_start = cur.number("esn")
    elif tok == "udp-encap":
        draft.fields["udp_encap"] = (0, 4500)  # secgw inline-crypto: sport 0, dport 4500
    else:
        raise cur.fail("unknown or unsupported sa option", tok)


def _read_sa(cur: _Cursor) -> _SaDraft:
    direction = _direction(cur)
    draft = _SaDraft(direction, cur.number("SPI", 0xFFFFFFFF), cur.rule.line)
    while cur.more():
        _read_sa_option(cur, draft, cur.next("option"))
    if "mode" not in draft.fields:
        raise cur.fail("missing mode option")
    return draft


def _read_rt(cur: _Cursor) -> Route:
    family = _family(cur)
    prefix, port = None, 0
    while cur.more():
        tok = cur.next("option")
        if tok == "dst":
            prefix = cur.prefix("dst")
        elif tok == "port":
            port = cur.number("port", 255)
        else:
            raise cur.fail("unknown rt option", tok)
    if prefix is None or prefix.version != family.value:
        raise cur.fail(f"rt needs a dst prefix of family {family.name}")
    try:
        return Route(prefix, port)
    except ValueError as exc:
        raise cur.fail(str(exc)) from None


def _read_neigh(cur: _Cursor) -> Neighbour:
    if cur.next("'port'") != "port":
        raise cur.fail("expected 'neigh port N MAC'", cur.rule.words[cur.pos - 1])
    port = cur.number("port", 255)
    mac_tok = cur.next("MAC")
    try:
        mac = parse_mac(mac_tok, "neigh MAC")
    except ValueError:
        raise cur.fail("MAC must be six ':'-separated hex bytes", mac_tok) from None
    if cur.more():
        raise cur.fail("unexpected token after MAC", cur.next("token"))
    return Neighbour(port, mac)


@dataclass(frozen=True)
class DutArgs:
    """The secgw-like options this reader understands (inverse of ``Scenario.dut_args``)."""

    unprotected_mask: int = 0x1
    options: GatewayOptions = GatewayOptions()


def parse_dut_args(args: Sequence[str]) -> DutArgs:
    """``-u MASK -w N -e --engine E`` → ``DutArgs``; ValueError naming the option otherwise."""
    mask, window, esn, engine = 0x1, 0, False, Engine.LIBRARY
    it = iter(args)
    for arg in it:
        try:
            if arg == "-u":
                mask = int(next(it), 16)
            elif arg == "-w":
                window = int(next(it))
            elif arg == "-e":
                esn = True
            elif arg == "--engine":
                engine = Engine(next(it))
            else:
                raise ValueError(f"unknown gateway option {arg!r}")
        except StopIteration:
            raise ValueError(f"gateway option {arg} needs a value") from None
        except ValueError as exc:
            raise ValueError(f"gateway option {arg}: {exc}") from None
    return DutArgs(mask, GatewayOptions(window, esn, engine))


def _build_sa(source: str, draft: _SaDraft, inner: Family, esn: bool) -> SecurityAssociation:
    try:
        spec = EspSaSpec(spi=draft.spi, esn=esn, **draft.fields)  # type: ignore[arg-type]
        return SecurityAssociation(draft.direction, spec, inner, draft.sa_type, draft.port_id, draft.esn_start)
    except (ValueError, TypeError) as exc:
        raise CfgReadError(source, draft.line, f"sa {draft.direction.value} {draft.spi}: {exc}") from None


def _pair_tunnels(sas: list[SecurityAssociation]) -> tuple[Tunnel, ...]:
    """Pair each outbound SA with the first inbound SA whose endpoints mirror it (or, for
    transport, the first unpaired inbound transport SA); the rest stand alone."""
    inbound = [sa for sa in sas if sa.direction is Direction.IN]
    tunnels: list[Tunnel] = []
    for out in (sa for sa in sas if sa.direction is Direction.OUT):
        match = next((i for i in inbound if i.spec.tunnel_src == out.spec.tunnel_dst
                      and i.spec.tunnel_dst == out.spec.tunnel_src and i.inner_family is out.inner_family), None)
        if match is not None:
            inbound.remove(match)
        tunnels.append(Tunnel(f"sa-{out.spi}" + (f"-{match.spi}" if match else ""), out, match))
    tunnels += [Tunnel(f"sa-in-{sa.spi}", None, sa) for sa in inbound]
    return tuple(tunnels)


def scenario_from_cfg(text: str, source: str = "<cfg>", *, args: Sequence[str] = (),
                      name: str | None = None) -> Scenario:
    """Read cfg ``text`` (named ``source`` in errors) into a ``Scenario``.

    ``args`` are the secgw-like options (default ``-u 0x1``: port 0 unprotected). Ports are the
    union of the mask bits and every port named by rt/neigh/port_id; tester MACs come from
    ``neigh`` lines (the next hop of a DUT port is the tester).
    """
    try:
        dut = parse_dut_args(args)
    except ValueError as exc:
        raise CfgReadError(source, 0, str(exc)) from None
    policies: list[Policy] = []
    drafts: list[_SaDraft] = []
    routes: list[Route] = []
    neighbours: list[Neighbour] = []
    for rule in logical_lines(text):
        cur = _Cursor(source, rule, 1)
        kind = rule.words[0]
        if kind == "sp":
            policies.append(_read_sp(cur))
        elif kind == "sa":
            drafts.append(_read_sa(cur))
        elif kind == "rt":
            routes.append(_read_rt(cur))
        elif kind == "neigh":
            neighbours.append(_read_neigh(cur))
        elif kind != "flow":
            raise cur.fail("unknown rule kind (expected sp, sa, rt, neigh or flow)", kind)
    families = {(p.direction, p.spi): p.family for p in policies if p.spi is not None}
    sas = []
    for d in drafts:
        inner = families.get((d.direction, d.spi))
        if inner is None:
            raise CfgReadError(source, d.line, f"sa {d.direction.value} {d.spi} is not used by any protect rule")
        esn = dut.options.engine is Engine.LIBRARY and (dut.options.esn or d.esn_start > 0)
        sas.append(_build_sa(source, d, inner, esn))
    neigh_macs = {n.port: n.mac for n in neighbours}
    ids = {i for i in range(256) if dut.unprotected_mask >> i & 1}
    ids |= {r.port for r in routes} | set(neigh_macs) | {sa.port_id for sa in sas if sa.port_id is not None}
    ports = tuple(Port(i, PortRole.UNPROTECTED if dut.unprotected_mask >> i & 1 else PortRole.PROTECTED,
                       default_dut_mac(i), neigh_macs.get(i, default_tester_mac(i))) for i in sorted(ids))
    try:
        return Scenario(name or source, ports, _pair_tunnels(sas), tuple(policies), tuple(routes),
                        tuple(neighbours), dut.options)
    except ValueError as exc:
        raise CfgReadError(source, 0, str(exc)) from None
