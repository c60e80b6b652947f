"""Grammar of ``sa`` rules (secgw-reference.md section 1.3; secgw's ``sa.c``).

``sa (in|out) SPI mode M [src A dst B] (aead_algo X aead_key K | cipher_algo X [cipher_key K]
auth_algo Y [auth_key K]) [type T] [port_id N] [fallback F] [flow-direction P Q] [udp-encap]
[esn N] [mss N] [reassembly_en] [telemetry]``.

Kept from secgw: a ``type`` other than no-offload/cpu-crypto without ``port_id`` is downgraded to
no-offload (with a ConfigWarning, secgw prints a warning too); ``fallback`` only for ``sa in``,
only after ``type inline-crypto-offload`` on the same line, library engine only; ``udp-encap``
only after a ``type`` that allows it; ``esn`` may repeat (last wins); a prefix after a tunnel
address is ignored (with a warning).

Deliberate deviations (secgw silently misbehaves, we refuse with an error):
``src``/``dst`` before ``mode`` (secgw ignores the address); SPI 0 (secgw drops the whole line);
SPI above 2^32-1 or not all digits (secgw wraps through atoi); a direction other than
``in``/``out`` (secgw treats it as ``out``); key bytes that are not 1-2 hex digits (secgw reads
0); a ``flow-direction`` on an SA whose final type is an offload type; ``aes-gmac`` with a
cipher other than ``null``. A tunnel SA without ``src``/``dst`` keeps
secgw's 0.0.0.0/:: default but is warned about.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from gateway_ref.cfg.cursor import TokenCursor, choose, unknown_message
from gateway_ref.cfg.engine import Engine
from gateway_ref.cfg.errors import ConfigError, ConfigWarning, SourcePos
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import (
    Direction, Fallback, Family, IPAddress, OffloadType, SaMode, SaRule,
)
from gateway_ref.cfg.sa_algos import AlgoChoice, parse_algorithm
from gateway_ref.cfg.values import parse_port, parse_uint, split_prefix
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

OPTIONS = ("mode", "src", "dst", "cipher_algo", "auth_algo", "aead_algo", "type", "port_id",
           "fallback", "flow-direction", "udp-encap", "esn", "mss", "reassembly_en", "telemetry")
_OPTION_SET = frozenset(OPTIONS)
MODES = {m.value: m for m in SaMode}
TYPES = {t.value: t for t in OffloadType}
FALLBACKS = {f.value: f for f in Fallback}
SOFTWARE_TYPES = (OffloadType.NO_OFFLOAD, OffloadType.CPU_CRYPTO)
UDP_ENCAP_TYPES = (OffloadType.INLINE_CRYPTO, OffloadType.INLINE_PROTOCOL,
                   OffloadType.LOOKASIDE_PROTOCOL)


@dataclass(frozen=True)
class ParsedSa:
    """An SA rule plus where its SPI was written (for start-up cross-check errors)."""

    rule: SaRule
    spi_token: Token

    @property
    def spi_pos(self) -> SourcePos:
        """Where the SPI was written (computed only for messages)."""
        return self.spi_token.pos


@dataclass
class _SaDraft:
    direction: Direction
    mode: SaMode | None = None
    src: IPAddress | None = None
    dst: IPAddress | None = None
    cipher: AlgoChoice | None = None
    auth: AlgoChoice | None = None
    aead: AlgoChoice | None = None
    type: OffloadType = OffloadType.NO_OFFLOAD
    port_id: int | None = None
    port_pos: SourcePos | None = None
    fallback: Fallback | None = None
    flow_direction: tuple[int, int] | None = None
    flow_pos: SourcePos | None = None
    udp_encap: bool = False
    esn: int = 0
    mss: int = 0
    reassembly_en: bool = False
    telemetry: bool = False


def parse_sa(keyword: Token, args: Sequence[Token], engine: Engine,
             warnings: list[ConfigWarning]) -> ParsedSa:
    """Parse the tokens after ``sa``; append warnings to ``warnings``."""
    cursor = TokenCursor(keyword, args)
    direction_token = cursor.require("in or out")
    direction = Direction(choose(direction_token, "sa direction", ("in", "out")))
    spi_token = cursor.require("an SPI (decimal 1..4294967295)", direction_token)
    spi = parse_uint(spi_token, "SPI", 0xFFFFFFFF)
    if spi == 0:
        raise ConfigError(spi_token.pos, "invalid SPI 0 (secgw silently drops such a rule)")
    draft = _SaDraft(direction)
    while (token := cursor.next()) is not None:
        _option(cursor, token, draft, engine, warnings)
    _finish(keyword, cursor, draft, engine, warnings)
    assert draft.mode is not None  # _finish raised otherwise
    rule = SaRule(
        direction=direction, spi=spi, mode=draft.mode,
        cipher_algo=_name(draft.cipher), cipher_key=_key(draft.cipher),
        auth_algo=_name(draft.auth), auth_key=_key(draft.auth),
        aead_algo=_name(draft.aead), aead_key=_key(draft.aead),
        src=draft.src, dst=draft.dst, type=draft.type, port_id=draft.port_id,
        fallback=draft.fallback, flow_direction=draft.flow_direction, udp_encap=draft.udp_encap,
        esn=draft.esn, mss=draft.mss, reassembly_en=draft.reassembly_en,
        telemetry=draft.telemetry, pos=keyword.pos,
    )
    return ParsedSa(rule, spi_token)


def _option(cursor: TokenCursor, token: Token, draft: _SaDraft, engine: Engine,
            warnings: list[ConfigWarning]) -> None:
    word = token.text
    if word not in _OPTION_SET:
        raise ConfigError(token.pos, unknown_message(token, "sa option", OPTIONS))
    if word not in ("esn", "port_id"):
        cursor.once(token)
    if word in ("cipher_algo", "auth_algo", "aead_algo"):
        _algorithm(cursor, token, draft, engine)
    elif word == "mode":
        draft.mode = MODES[choose(cursor.require("a mode", token), "mode", MODES)]
    elif word in ("src", "dst"):
        _endpoint(cursor, token, draft, warnings)
    elif word == "type":
        _type(cursor, token, draft, engine)
    elif word == "port_id":
        _set_port(draft, cursor.require("a port number", token), "port_id")
    elif word == "fallback":
        _fallback(cursor, token, draft, engine)
    elif word == "flow-direction":
        port = cursor.require("PORT QUEUE", token)
        queue = cursor.require("QUEUE", port)
        draft.flow_direction = (_set_port(draft, port, "flow-direction port"),
                                parse_uint(queue, "flow-direction queue", 65535))
        draft.flow_pos = token.pos
    else:
        _simple(cursor, token, draft, engine, warnings)


def _simple(cursor: TokenCursor, token: Token, draft: _SaDraft, engine: Engine,
            warnings: list[ConfigWarning]) -> None:
    word = token.text
    if word == "udp-encap":
        if draft.type not in UDP_ENCAP_TYPES:
            allowed = ", ".join(t.value for t in UDP_ENCAP_TYPES)
            raise ConfigError(token.pos, f"UDP encapsulation not supported for security session "
                                         f"type {draft.type.value}; 'udp-encap' needs an earlier "
                                         f"'type' of: {allowed}")
        draft.udp_encap = True
    elif word == "esn":
        draft.esn = parse_uint(cursor.require("an initial sequence number", token), "esn",
                               2**64 - 1)
        if engine is Engine.LEGACY and draft.esn:
            warnings.append(ConfigWarning(token.pos, "esn is ignored by the legacy engine"))
    elif word == "mss":
        draft.mss = parse_uint(cursor.require("a segment size", token), "mss", 65535)
    elif word == "reassembly_en":
        draft.reassembly_en = True
    else:
        draft.telemetry = True


def _algorithm(cursor: TokenCursor, token: Token, draft: _SaDraft, engine: Engine) -> None:
    word = token.text
    if word == "aead_algo" and (draft.cipher or draft.auth):
        raise ConfigError(token.pos, "AEAD used, no need for cipher/auth options")
    if word != "aead_algo" and draft.aead:
        raise ConfigError(token.pos, "AEAD used, no need for cipher/auth options")
    table = {"cipher_algo": CIPHERS, "auth_algo": AUTHS, "aead_algo": AEADS}[word]
    choice = parse_algorithm(cursor, token, table, engine)
    if word == "cipher_algo":
        draft.cipher = choice
    elif word == "auth_algo":
        draft.auth = choice
    else:
        draft.aead = choice


def _endpoint(cursor: TokenCursor, token: Token, draft: _SaDraft,
              warnings: list[ConfigWarning]) -> None:
    value = cursor.require("an address", token)
    if draft.mode is None:
        raise ConfigError(token.pos, f"'{token.text}' must follow 'mode' (secgw silently "
                                     "ignores an address given before mode)")
    if draft.mode is SaMode.TRANSPORT:
        raise ConfigError(token.pos, f"'{token.text}' is not allowed in a transport SA "
                                     "(its addresses come from the packet)")
    family = _mode_family(draft.mode)
    address, length = split_prefix(value, family)
    if length is not None:
        warnings.append(ConfigWarning(value.pos, f"prefix /{length} of tunnel endpoint "
                                                 f"'{value.text}' is ignored"))
    if token.text == "src":
        draft.src = address
    else:
        draft.dst = address


def _type(cursor: TokenCursor, token: Token, draft: _SaDraft, engine: Engine) -> None:
    value = cursor.require("an offload type", token)
    if value.text == "lookaside-none":
        raise ConfigError(value.pos, "'lookaside-none' is only accepted after 'fallback'; "
                                     "for a software SA write 'type no-offload'")
    draft.type = TYPES[choose(value, "type", TYPES)]
    if engine is Engine.LEGACY and draft.type is OffloadType.CPU_CRYPTO:
        raise ConfigError(value.pos, "type cpu-crypto is not supported by the legacy engine; "
                                     "use --engine library")


def _fallback(cursor: TokenCursor, token: Token, draft: _SaDraft, engine: Engine) -> None:
    value = cursor.require("lookaside-none or cpu-crypto", token)
    if engine is Engine.LEGACY:
        raise ConfigError(token.pos, "fallback is not supported by the legacy engine; "
                                     "use --engine library")
    if draft.direction is not Direction.IN:
        raise ConfigError(token.pos, "fallback is only allowed for 'sa in'")
    if draft.type is not OffloadType.INLINE_CRYPTO:
        raise ConfigError(token.pos, "fallback needs 'type inline-crypto-offload' earlier on "
                                     f"the line (type so far: {draft.type.value})")
    draft.fallback = FALLBACKS[choose(value, "fallback", FALLBACKS)]


def _set_port(draft: _SaDraft, value: Token, what: str) -> int:
    port = parse_port(value, what)
    if draft.port_id is not None and draft.port_id != port:
        raise ConfigError(value.pos, f"{what} {port} does not match port_id {draft.port_id} "
                                     f"already assigned at {draft.port_pos}")
    if draft.port_id is None:
        draft.port_id, draft.port_pos = port, value.pos
    return port


def _finish(keyword: Token, cursor: TokenCursor, draft: _SaDraft, engine: Engine,
            warnings: list[ConfigWarning]) -> None:
    if draft.mode is None:
        raise ConfigError(keyword.pos, "missing mode option: expected mode ipv4-tunnel, "
                                       "ipv6-tunnel or transport")
    if draft.aead is None:
        if draft.cipher is None:
            raise ConfigError(keyword.pos, "missing cipher or AEAD options: expected "
                                           "cipher_algo (with auth_algo) or aead_algo")
        if draft.auth is None:
            raise ConfigError(keyword.pos, "missing auth or AEAD options: expected auth_algo")
        if draft.auth.algorithm.keyword == "aes-gmac" and draft.cipher.algorithm.keyword != "null":
            raise ConfigError(draft.auth.pos, "aes-gmac only authenticates; it needs "
                                              "cipher_algo null")
    if draft.type not in SOFTWARE_TYPES and draft.port_id is None:
        extra = " and its fallback is dropped" if draft.fallback else ""
        warnings.append(ConfigWarning(
            cursor.seen("type") or keyword.pos,
            f"type {draft.type.value} needs port_id; the SA becomes no-offload{extra}"))
        draft.type, draft.fallback = OffloadType.NO_OFFLOAD, None
        if draft.udp_encap:
            raise ConfigError(keyword.pos, "udp-encap needs an offload type with port_id")
    if draft.flow_direction is not None and draft.type not in SOFTWARE_TYPES:
        raise ConfigError(draft.flow_pos or keyword.pos, "flow director not supported for "
                                                         f"security session type {draft.type.value}")
    if draft.mode is not SaMode.TRANSPORT and (draft.src is None or draft.dst is None):
        missing = " and ".join(n for n, v in (("src", draft.src), ("dst", draft.dst)) if v is None)
        warnings.append(ConfigWarning(keyword.pos, f"tunnel SA without {missing}: secgw uses "
                                                   "the unspecified address"))
        unspecified = _unspecified(draft.mode)
        draft.src = unspecified if draft.src is None else draft.src
        draft.dst = unspecified if draft.dst is None else draft.dst


def _mode_family(mode: SaMode) -> Family:
    return Family.IPV4 if mode is SaMode.IPV4_TUNNEL else Family.IPV6


def _unspecified(mode: SaMode) -> IPAddress:
    return ipaddress.ip_address("0.0.0.0" if mode is SaMode.IPV4_TUNNEL else "::")


def _name(choice: AlgoChoice | None) -> str | None:
    return choice.algorithm.keyword if choice else None


def _key(choice: AlgoChoice | None) -> bytes:
    return choice.key if choice else b""
