"""Grammar of ``rt`` rules (secgw-reference.md section 1.4; secgw's ``rt.c``).

``rt (ipv4|ipv6) dst A/P port N``: a static route to an output port, longest prefix wins.

Deliberate deviations: unknown tokens (secgw ignores them silently) are errors; ``dst`` without a
prefix length or with length 0 is an error at parse time (secgw's LPM refuses depth 0 at
start-up with "Fail to add entry"); ``port`` must be below RTE_MAX_ETHPORTS (32) (secgw stores 8
bits); a repeated ``dst``/``port`` in one rule is an error. A missing ``port`` keeps secgw's
default 0 with a warning.
"""
from __future__ import annotations

from collections.abc import Sequence

from gateway_ref.cfg.cursor import TokenCursor, choose, unknown_message
from gateway_ref.cfg.errors import ConfigError, ConfigWarning
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import Family, IPNetwork, RtRule
from gateway_ref.cfg.values import parse_port, split_prefix, to_network

FAMILIES = {"ipv4": Family.IPV4, "ipv6": Family.IPV6}
OPTIONS = ("dst", "port")


def parse_rt(keyword: Token, args: Sequence[Token], warnings: list[ConfigWarning]) -> RtRule:
    """Parse the tokens after ``rt``."""
    cursor = TokenCursor(keyword, args)
    family = FAMILIES[choose(cursor.require("ipv4 or ipv6"), "rt family", FAMILIES)]
    dst: IPNetwork | None = None
    port: int | None = None
    while (token := cursor.next()) is not None:
        if token.text not in OPTIONS:
            raise ConfigError(token.pos, unknown_message(token, "rt option", OPTIONS))
        cursor.once(token)
        if token.text == "dst":
            dst = _destination(cursor.require("a prefix A/P", token), family)
        else:
            port = parse_port(cursor.require("a port number", token))
    if dst is None:
        raise ConfigError(keyword.pos, "missing argument: rt needs 'dst PREFIX/LEN'")
    if port is None:
        warnings.append(ConfigWarning(keyword.pos, "rt without 'port': secgw routes to port 0"))
        port = 0
    return RtRule(family, dst, port, keyword.pos)


def _destination(value: Token, family: Family) -> IPNetwork:
    address, length = split_prefix(value, family)
    if not length:
        raise ConfigError(value.pos, f"rt dst '{value.text}' needs a prefix length of at least 1 "
                                     "(secgw's LPM rejects depth 0: cover everything with two /1 "
                                     "routes)")
    return to_network(address, length)
