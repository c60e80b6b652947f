"""One-match parsing of ``sa`` rules written in the canonical form (secgw-reference.md 1.3).

The canonical form is the one the harness writes: ``sa DIR SPI (aead_algo X aead_key K |
cipher_algo X [cipher_key K] auth_algo Y [auth_key K]) mode M [src A dst B]``, in that order,
with no other option. One regular expression reads such a rule straight from its text instead
of building a token per word and walking the general grammar option by option.

Only rules that the general grammar (``sa.parse_sa``) accepts without error or warning are read
here, and they give the same ``SaRule``: anything else (another order or option, an unknown or
unsupported algorithm, a key of the wrong form or length, aes-gmac without cipher null, a tunnel
without both endpoints, an address with a prefix) returns None and the caller falls back to
``parse_sa``, which produces every message. tests/gateway_ref/cfg checks the two against each
other.
"""
from __future__ import annotations

import re

from gateway_ref.cfg.engine import Engine, unsupported_reason
from gateway_ref.cfg.lexer import LogicalRule, Token
from gateway_ref.cfg.records import Direction, IPAddress, OffloadType, SaMode, SaRule
from gateway_ref.cfg.sa import ParsedSa
from gateway_ref.cfg.values import address_from_text, hex_bytes_or_none
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS, Algorithm

_W = r"[ \t\n\v\f\r]+"  # C isspace, as the lexer splits
_OW = r"[ \t\n\v\f\r]*"
_V = r"[^ \t\n\v\f\r/]+"
_SA = re.compile(
    rf"{_OW}(?P<kw>sa){_W}(?P<dir>in|out){_W}(?P<spi>[0-9]+)"
    rf"(?:{_W}aead_algo{_W}(?P<aead>{_V})(?:{_W}aead_key{_W}(?P<aead_key>{_V}))?"
    rf"|{_W}cipher_algo{_W}(?P<cipher>{_V})(?:{_W}cipher_key{_W}(?P<cipher_key>{_V}))?"
    rf"{_W}auth_algo{_W}(?P<auth>{_V})(?:{_W}auth_key{_W}(?P<auth_key>{_V}))?)"
    rf"{_W}mode{_W}(?P<mode>ipv4-tunnel|ipv6-tunnel|transport)"
    rf"(?:{_W}src{_W}(?P<src>{_V}){_W}dst{_W}(?P<dst>{_V}))?{_OW}"
)
_DIRECTIONS = {"in": Direction.IN, "out": Direction.OUT}
_NO_KEY: tuple[None, bytes] = (None, b"")


def parse_canonical_sa(rule: LogicalRule, engine: Engine) -> ParsedSa | None:
    """The parsed rule when ``rule`` is a canonical, warning-free ``sa`` rule; else None."""
    m = _SA.fullmatch(rule.text)
    if m is None:
        return None
    spi = int(m["spi"])
    if not 0 < spi <= 0xFFFFFFFF:
        return None
    aead = _choice(AEADS, m["aead"], m["aead_key"], engine) if m["aead"] else _NO_KEY
    cipher = _choice(CIPHERS, m["cipher"], m["cipher_key"], engine) if m["cipher"] else _NO_KEY
    auth = _choice(AUTHS, m["auth"], m["auth_key"], engine) if m["auth"] else _NO_KEY
    if None in (aead, cipher, auth):
        return None
    if auth[0] == "aes-gmac" and cipher[0] != "null":
        return None
    mode = SaMode(m["mode"])
    endpoints = _endpoints(mode, m["src"], m["dst"])
    if endpoints is None:
        return None
    lines = rule.lines
    sa = SaRule(
        direction=_DIRECTIONS[m["dir"]], spi=spi, mode=mode,
        cipher_algo=cipher[0], cipher_key=cipher[1], auth_algo=auth[0], auth_key=auth[1],
        aead_algo=aead[0], aead_key=aead[1], src=endpoints[0], dst=endpoints[1],
        type=OffloadType.NO_OFFLOAD, port_id=None, fallback=None, flow_direction=None,
        udp_encap=False, esn=0, mss=0, reassembly_en=False, telemetry=False,
        pos=lines.pos_at(m.start("kw")),
    )
    return ParsedSa(sa, Token(m["spi"], m.start("spi"), lines))


def _choice(table: dict[str, Algorithm], name: str, key_text: str | None,
            engine: Engine) -> tuple[str, bytes] | None:
    """(keyword, key) of a known, supported algorithm with a key of the right form, or None."""
    algorithm = table.get(name)
    if algorithm is None or unsupported_reason(algorithm, engine) is not None:
        return None
    if algorithm.key_len == 0:
        return None if key_text is not None else (algorithm.keyword, b"")
    key = None if key_text is None else hex_bytes_or_none(key_text)
    if key is None or len(key) != algorithm.key_len:
        return None
    return algorithm.keyword, key


def _endpoints(mode: SaMode, src: str | None, dst: str | None
               ) -> tuple[IPAddress | None, IPAddress | None] | None:
    """Tunnel endpoints (both required) or (None, None) for transport; None if unusable."""
    if mode is SaMode.TRANSPORT:
        return None if src is not None else (None, None)
    if src is None or dst is None:
        return None
    ipv4 = mode is SaMode.IPV4_TUNNEL
    src_address, dst_address = address_from_text(src, ipv4), address_from_text(dst, ipv4)
    if src_address is None or dst_address is None:
        return None
    return src_address, dst_address
