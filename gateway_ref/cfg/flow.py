"""Grammar of ``flow`` rules (secgw-reference.md section 1.6): parsed, checked, then ignored.

``flow`` installs rte_flow hardware steering rules; the reference gateway has no such hardware,
so a valid rule only produces a ConfigWarning saying it is ignored.

Tokens, any order: ``mark N``, ``eth``, ``ipv4|ipv6 [src A/P | dst A/P]``, ``port N``,
``queue N``, ``count``, ``security``, ``set_mark N``.

Deliberate deviations: a token after ``ipv4``/``ipv6`` that is neither ``src`` nor ``dst`` is
read as the next option (secgw consumes it silently); unknown tokens and a second ``src``/``dst``
are errors (as in secgw, whose quirk makes ``ipv4 src A dst B`` fail).
"""
from __future__ import annotations

from collections.abc import Sequence

from gateway_ref.cfg.cursor import TokenCursor, unknown_message
from gateway_ref.cfg.errors import ConfigError, ConfigWarning
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import Family
from gateway_ref.cfg.values import parse_port, parse_uint, split_prefix

OPTIONS = ("mark", "eth", "ipv4", "ipv6", "port", "queue", "count", "security", "set_mark")
_NUMBERS = {"mark": 2**32 - 1, "queue": 65535, "set_mark": 2**32 - 1}


def parse_flow(keyword: Token, args: Sequence[Token], warnings: list[ConfigWarning]) -> None:
    """Check the tokens after ``flow``; a valid rule adds an "ignored" warning."""
    cursor = TokenCursor(keyword, args)
    token = cursor.next()
    while token is not None:
        if token.text not in OPTIONS:
            raise ConfigError(token.pos, unknown_message(token, "flow option", OPTIONS))
        cursor.once(token)
        if token.text in ("ipv4", "ipv6"):
            token = _address(cursor, token)
            continue
        if token.text in _NUMBERS:
            parse_uint(cursor.require("a decimal number", token), token.text, _NUMBERS[token.text])
        elif token.text == "port":
            parse_port(cursor.require("a port number", token))
        token = cursor.next()
    warnings.append(ConfigWarning(keyword.pos, "flow rule ignored: the reference gateway has no "
                                               "rte_flow hardware"))


def _address(cursor: TokenCursor, family_token: Token) -> Token | None:
    """Parse the optional ``src A/P`` or ``dst A/P``; return the next unconsumed token."""
    family = Family.IPV4 if family_token.text == "ipv4" else Family.IPV6
    token = cursor.next()
    if token is None or token.text not in ("src", "dst"):
        return token
    split_prefix(cursor.require("an address prefix A/P", token), family)
    following = cursor.next()
    if following is not None and following.text in ("src", "dst"):
        raise ConfigError(following.pos, f"flow takes one of src/dst after {family_token.text}, "
                                         f"not both (secgw: Unrecognized input:{following.text})")
    return following
