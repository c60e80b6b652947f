"""Grammar of ``neigh`` rules (secgw-reference.md section 1.5).

``neigh port N MAC``: exactly these words; the destination MAC of every frame sent on port N.
"""
from __future__ import annotations

from collections.abc import Sequence

from gateway_ref.cfg.cursor import TokenCursor
from gateway_ref.cfg.errors import ConfigError
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import NeighRule
from gateway_ref.cfg.values import parse_mac, parse_port


def parse_neigh(keyword: Token, args: Sequence[Token]) -> NeighRule:
    """Parse the tokens after ``neigh``."""
    cursor = TokenCursor(keyword, args)
    word = cursor.require("'port'")
    if word.text != "port":
        raise ConfigError(word.pos, f"unrecognized neigh option '{word.text}'; "
                                    "expected: neigh port N MAC")
    port = parse_port(cursor.require("a port number", word))
    mac = parse_mac(cursor.require("a MAC address hh:hh:hh:hh:hh:hh", word))
    extra = cursor.next()
    if extra is not None:
        raise ConfigError(extra.pos, f"unexpected '{extra.text}': neigh takes exactly 'port N MAC'")
    return NeighRule(port, mac, keyword.pos)
