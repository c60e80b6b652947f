"""One-match parsing of ``sp`` rules written in the canonical form (secgw-reference.md 1.2).

The canonical form is the one the harness writes and almost every large cfg uses:
``sp FAMILY DIR esp (protect SPI | bypass | discard) [pri N] [src A/L] [dst A/L] [proto V:M]
sport L:H dport L:H``, options in that order. One regular expression reads such a rule
straight from the rule's text, without building a token per word or walking the general
grammar option by option (which dominated the load time of 10 000-tunnel cfgs).

Only rules that the general grammar (``sp.parse_sp``) accepts without error or warning are
read here, and they give the same ``SpRule``: anything else (another order, a value out of
range, an address that does not parse, host bits set, a missing port range) returns None and
the caller falls back to ``parse_sp``, which produces every message. tests/gateway_ref/cfg
checks the two against each other.
"""
from __future__ import annotations

import functools
import re

from gateway_ref.cfg.lexer import LogicalRule, Token
from gateway_ref.cfg.records import Direction, Family, IPNetwork, PolicyAction, SpRule
from gateway_ref.cfg.sp import ANY_NET, MAX_PRIORITY, ParsedSp
from gateway_ref.cfg.values import address_from_text, to_network

_W = r"[ \t\n\v\f\r]+"  # C isspace, as the lexer splits
_V = r"[^ \t\n\v\f\r/]+"
_SP = re.compile(
    rf"[ \t\n\v\f\r]*(?P<kw>sp){_W}(?P<family>ipv4|ipv6){_W}(?P<dir>in|out){_W}esp{_W}"
    rf"(?:protect{_W}(?P<spi>[0-9]+)|(?P<action>bypass|discard))"
    rf"(?:{_W}pri{_W}(?P<pri>[0-9]+))?"
    rf"(?:{_W}src{_W}(?P<src>{_V})/(?P<srclen>[0-9]+))?"
    rf"(?:{_W}dst{_W}(?P<dst>{_V})/(?P<dstlen>[0-9]+))?"
    rf"(?:{_W}proto{_W}(?P<pv>[0-9]+):(?P<pm>[0-9]+))?"
    rf"{_W}sport{_W}(?P<sl>[0-9]+):(?P<sh>[0-9]+)"
    rf"{_W}dport{_W}(?P<dl>[0-9]+):(?P<dh>[0-9]+)"
    r"[ \t\n\v\f\r]*"
)
_FAMILIES = {"ipv4": Family.IPV4, "ipv6": Family.IPV6}
_DIRECTIONS = {"in": Direction.IN, "out": Direction.OUT}
_ACTIONS = {"bypass": PolicyAction.BYPASS, "discard": PolicyAction.DISCARD}


def parse_canonical_sp(rule: LogicalRule) -> ParsedSp | None:
    """The parsed rule when ``rule`` is a canonical, warning-free ``sp`` rule; else None."""
    m = _SP.fullmatch(rule.text)
    if m is None:
        return None
    family = _FAMILIES[m["family"]]
    spi_text = m["spi"]
    spi = None if spi_text is None else int(spi_text)
    if spi is not None and not 0 < spi < 0xFFFFFFFF:
        return None
    priority = 0 if m["pri"] is None else int(m["pri"])
    proto = (0, 0) if m["pv"] is None else (int(m["pv"]), int(m["pm"]))
    sport, dport = (int(m["sl"]), int(m["sh"])), (int(m["dl"]), int(m["dh"]))
    if (priority > MAX_PRIORITY or max(proto) > 255 or sport[0] > sport[1] or dport[0] > dport[1]
            or sport[1] > 65535 or dport[1] > 65535):
        return None
    ipv4 = family is Family.IPV4
    src = ANY_NET[family] if m["src"] is None else _network(m["src"], m["srclen"], ipv4)
    dst = ANY_NET[family] if m["dst"] is None else _network(m["dst"], m["dstlen"], ipv4)
    if src is None or dst is None:
        return None
    lines = rule.lines
    sp = SpRule(
        family=family, direction=_DIRECTIONS[m["dir"]],
        action=PolicyAction.PROTECT if spi is not None else _ACTIONS[m["action"]], spi=spi,
        priority=priority, src=src, dst=dst, proto_value=proto[0], proto_mask=proto[1],
        sport=sport, dport=dport, pos=lines.pos_at(m.start("kw")),
    )
    return ParsedSp(sp, None if spi_text is None else Token(spi_text, m.start("spi"), lines))


@functools.lru_cache(maxsize=1 << 14)
def _network(address_text: str, length_text: str, ipv4: bool) -> IPNetwork | None:
    """The prefix ``ADDRESS/LENGTH``, or None when it is not plain and warning-free. Cached:
    a tunnel's outbound and inbound rules name the same two prefixes."""
    address = address_from_text(address_text, ipv4)
    length = int(length_text)
    if address is None or length > (32 if ipv4 else 128):
        return None
    network = to_network(address, length)
    if length and network.network_address != address:
        return None  # host bits set: parse_sp warns
    return network
