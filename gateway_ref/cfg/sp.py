"""Grammar of ``sp`` rules (secgw-reference.md section 1.2; secgw's ``sp4.c``/``sp6.c``).

``sp (ipv4|ipv6) (in|out) esp (protect SPI | bypass | discard) [pri N] [src A/P] [dst A/P]
[proto V:M] [sport L:H] [dport L:H]``, options after the direction in any order, each at most once.

Quirks kept (with a ConfigWarning): ``src``/``dst`` without ``/len`` mean ``/0`` (any address);
a missing ``sport``/``dport`` means the range 0:0 (only packets whose L4 bytes are 0 match).
``proto`` is a value:mask bitmask, not a range.

Deliberate deviations: ``proto`` without ``:`` and ranges with non-digit characters are errors
(secgw reads them as 65535 or skips the characters); ``pri`` above rte_acl's maximum
(0x1FFFFFFF) is an error at parse time (secgw fails later when adding the ACL rules); a range
whose low end exceeds its high end is an error (it could never match).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from gateway_ref.cfg.cursor import TokenCursor, choose, unknown_message
from gateway_ref.cfg.errors import ConfigError, ConfigWarning, SourcePos
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import Direction, Family, IPNetwork, PolicyAction, SpRule
from gateway_ref.cfg.values import parse_range, parse_uint, split_prefix, to_network

MAX_PRIORITY = 0x1FFFFFFF  # RTE_ACL_MAX_PRIORITY
FAMILIES = {"ipv4": Family.IPV4, "ipv6": Family.IPV6}
DIRECTIONS = {"in": Direction.IN, "out": Direction.OUT}
OPTIONS = ("esp", "protect", "bypass", "discard", "pri", "src", "dst", "proto", "sport", "dport")
_OPTION_SET = frozenset(OPTIONS)


@dataclass(frozen=True)
class ParsedSp:
    """An SP rule plus where its SPI was written (for start-up cross-check errors)."""

    rule: SpRule
    spi_token: Token | None

    @property
    def spi_pos(self) -> SourcePos | None:
        """Where the SPI was written (computed only for messages)."""
        return None if self.spi_token is None else self.spi_token.pos


@dataclass
class _SpDraft:
    action: PolicyAction | None = None
    spi: int | None = None
    spi_token: Token | None = None
    priority: int = 0
    src: IPNetwork | None = None
    dst: IPNetwork | None = None
    proto: tuple[int, int] = (0, 0)
    sport: tuple[int, int] | None = None
    dport: tuple[int, int] | None = None


def parse_sp(keyword: Token, args: Sequence[Token], warnings: list[ConfigWarning]) -> ParsedSp:
    """Parse the tokens after ``sp``; append quirk warnings to ``warnings``."""
    cursor = TokenCursor(keyword, args)
    family = FAMILIES[choose(cursor.require("ipv4 or ipv6"), "sp family", FAMILIES)]
    direction = DIRECTIONS[choose(cursor.require("in or out"), "sp direction", DIRECTIONS)]
    draft = _SpDraft()
    while (token := cursor.next()) is not None:
        _option(cursor, token, family, draft, warnings)
    if cursor.seen("esp") is None:
        raise ConfigError(keyword.pos, "missing argument \"esp\" in sp rule")
    if draft.action is None:
        raise ConfigError(keyword.pos, "missing argument: sp needs one of protect SPI, bypass, discard")
    _warn_defaults(keyword, draft, warnings)
    any_net = ANY_NET[family]
    rule = SpRule(
        family=family, direction=direction, action=draft.action, spi=draft.spi,
        priority=draft.priority, src=draft.src or any_net, dst=draft.dst or any_net,
        proto_value=draft.proto[0], proto_mask=draft.proto[1],
        sport=draft.sport or (0, 0), dport=draft.dport or (0, 0), pos=keyword.pos,
    )
    return ParsedSp(rule, draft.spi_token)


def _option(cursor: TokenCursor, token: Token, family: Family, draft: _SpDraft,
            warnings: list[ConfigWarning]) -> None:
    word = token.text
    if word not in _OPTION_SET:
        raise ConfigError(token.pos, unknown_message(token, "sp option", OPTIONS))
    if word in ("protect", "bypass", "discard"):
        if draft.action is not None:
            raise ConfigError(token.pos, f"conflict item: '{word}' after '{draft.action.value}'; "
                                         "an sp rule has exactly one of protect, bypass, discard")
        draft.action = PolicyAction(word)
        if word == "protect":
            spi_token = cursor.require("an SPI (decimal 1..4294967294)", token)
            spi = parse_uint(spi_token, "SPI", 0xFFFFFFFF)
            if spi in (0, 0xFFFFFFFF):
                raise ConfigError(spi_token.pos, f"invalid SPI {spi}: 0 and 4294967295 are reserved")
            draft.spi, draft.spi_token = spi, spi_token
        return
    cursor.once(token)
    if word == "esp":
        return
    value = cursor.require(_EXPECTED[word], token)
    if word == "pri":
        draft.priority = parse_uint(value, "pri", MAX_PRIORITY)
    elif word in ("src", "dst"):
        network = _prefix(value, family, word, warnings)
        if word == "src":
            draft.src = network
        else:
            draft.dst = network
    elif word == "proto":
        draft.proto = parse_range(value, "proto VALUE:MASK", 255)
    else:
        low, high = parse_range(value, word, 65535)
        if low > high:
            raise ConfigError(value.pos, f"{word} range {low}:{high} is empty (low > high)")
        if word == "sport":
            draft.sport = (low, high)
        else:
            draft.dport = (low, high)


_EXPECTED = {
    "pri": "a priority (decimal, higher wins)",
    "src": "an address prefix A/P",
    "dst": "an address prefix A/P",
    "proto": "VALUE:MASK (e.g. 17:255 for UDP)",
    "sport": "a port range LOW:HIGH",
    "dport": "a port range LOW:HIGH",
}


def _prefix(value: Token, family: Family, word: str, warnings: list[ConfigWarning]) -> IPNetwork:
    address, length = split_prefix(value, family)
    if length is None:
        bits = 32 if family is Family.IPV4 else 128
        warnings.append(ConfigWarning(
            value.pos,
            f"'{word} {value.text}' has no prefix length: secgw treats it as /0 (matches every "
            f"address); write {address}/{bits} for one host or {_any(family)}/0 for any",
        ))
        length = 0
    network = to_network(address, length)
    if length and network.network_address != address:
        warnings.append(ConfigWarning(
            value.pos, f"'{value.text}' has host bits set; it matches {network}"))
    return network


def _warn_defaults(keyword: Token, draft: _SpDraft, warnings: list[ConfigWarning]) -> None:
    missing = [name for name, value in (("sport", draft.sport), ("dport", draft.dport)) if value is None]
    if missing:
        names = " and ".join(missing)
        warnings.append(ConfigWarning(
            keyword.pos,
            f"no {names}: secgw defaults to the range 0:0, so only packets whose port bytes are 0 "
            f"match; write {' '.join(m + ' 0:65535' for m in missing)} to match any port",
        ))


def _any(family: Family) -> str:
    return "0.0.0.0" if family is Family.IPV4 else "::"


ANY_NET = {Family.IPV4: ipaddress.IPv4Network("0.0.0.0/0"), Family.IPV6: ipaddress.IPv6Network("::/0")}
