"""Value parsers shared by the rule grammars: numbers, addresses, prefixes, ranges, keys, MACs.

secgw parses numbers with ``atoi``/``atoll`` after an all-digit check where it does one, and
keys/MACs with ``strtol`` per byte (non-hex bytes silently become 0). Deliberate deviation: every
value here must be well formed ASCII (decimal digits only, hex bytes of 1-2 digits); anything
else is a ``ConfigError`` naming the token, instead of secgw's silent 0 or wrap-around.
"""
from __future__ import annotations

import functools
import ipaddress
import re

from gateway_ref.cfg.errors import ConfigError
from gateway_ref.cfg.lexer import Token
from gateway_ref.cfg.records import Family, IPAddress, IPNetwork

MAX_PORTS = 32  # RTE_MAX_ETHPORTS in DPDK's default build
_DIGITS = re.compile(r"[0-9]+")
_HEX_BYTE = re.compile(r"[0-9A-Fa-f]{1,2}")
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})*")
_HEX_BYTES = re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2})*")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4_QUAD = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_V6_CHARS = re.compile(r"[0-9A-Fa-f:.]+")


def parse_uint(token: Token, what: str, maximum: int) -> int:
    """An all-digit decimal number in ``0..maximum``; ``what`` names it in errors."""
    if not _DIGITS.fullmatch(token.text):
        raise ConfigError(token.pos, f"{what} must be a decimal number, got '{token.text}'")
    value = int(token.text)
    if value > maximum:
        raise ConfigError(token.pos, f"{what} {value} is out of range (at most {maximum})")
    return value


def parse_port(token: Token, what: str = "port") -> int:
    """A port number below ``MAX_PORTS``."""
    return parse_uint(token, what, MAX_PORTS - 1)


def parse_address(token: Token, family: Family, text: str | None = None) -> IPAddress:
    """A plain IPv4 or IPv6 address of ``family`` (inet_pton syntax, no scope id)."""
    text = token.text if text is None else text
    address = address_from_text(text, family is Family.IPV4)
    if address is None:
        name = "IPv4" if family is Family.IPV4 else "IPv6"
        raise ConfigError(token.pos, f"'{text}' is not an {name} address")
    return address


@functools.lru_cache(maxsize=4096)
def address_from_text(text: str, ipv4: bool) -> IPAddress | None:
    """The address ``text`` spells, or None. Cached: tunnel endpoints repeat in every SA.

    A dotted quad that ``_V4_QUAD`` accepts is exactly one that ``IPv4Address`` accepts
    (4 decimal octets 0..255, no leading zeros), and building from the packed bytes skips
    ``ipaddress``'s slower string parser.
    """
    if ipv4:
        if _V4_QUAD.fullmatch(text):
            return ipaddress.IPv4Address(bytes(map(int, text.split("."))))
        return None
    if not _V6_CHARS.fullmatch(text):
        return None
    try:
        return ipaddress.IPv6Address(text)
    except ValueError:
        return None


def split_prefix(token: Token, family: Family) -> tuple[IPAddress, int | None]:
    """``ADDR[/LEN]`` -> (address, length or None when no ``/LEN`` was written)."""
    text, slash, length_text = token.text.partition("/")
    address = parse_address(token, family, text)
    if not slash:
        return address, None
    bits = 32 if family is Family.IPV4 else 128
    if not _DIGITS.fullmatch(length_text) or int(length_text) > bits:
        raise ConfigError(
            token.pos_at(len(text) + 1),
            f"prefix length must be a decimal number 0..{bits}, got '{length_text}'",
        )
    return address, int(length_text)


@functools.lru_cache(maxsize=1 << 14)
def to_network(address: IPAddress, length: int) -> IPNetwork:
    """The network of ``address`` with host bits cleared (as an ACL or LPM mask does).

    Cached: a tunnel's outbound and inbound sp rules name the same two prefixes."""
    if isinstance(address, ipaddress.IPv4Address):
        return ipaddress.IPv4Network((int(address), length), strict=False)
    return ipaddress.IPv6Network((int(address), length), strict=False)


def parse_range(token: Token, what: str, maximum: int) -> tuple[int, int]:
    """``LOW:HIGH`` with both decimal in ``0..maximum``."""
    low, colon, high = token.text.partition(":")
    if not colon or not _DIGITS.fullmatch(low) or not _DIGITS.fullmatch(high):
        raise ConfigError(
            token.pos,
            f"{what} needs LOW:HIGH (two decimal numbers joined by ':'), got '{token.text}'",
        )
    values = int(low), int(high)
    for index, value in enumerate(values):
        if value > maximum:
            part = "low" if index == 0 else "high"
            raise ConfigError(token.pos, f"{what} {part} value {value} over limit {maximum}")
    return values


def parse_hex_bytes(token: Token, what: str) -> bytes:
    """``hh:hh:...`` with 1-2 hex digits per byte (case-insensitive)."""
    value = hex_bytes_or_none(token.text)
    if value is not None:
        return value
    out = bytearray()  # malformed: find the first bad byte to name it
    offset = 0
    for part in token.text.split(":"):
        if not _HEX_BYTE.fullmatch(part):
            raise ConfigError(
                token.pos_at(offset),
                f"{what} byte {len(out) + 1} must be 1 or 2 hex digits, got '{part}'",
            )
        out.append(int(part, 16))
        offset += len(part) + 1
    return bytes(out)


def hex_bytes_or_none(text: str) -> bytes | None:
    """The bytes of a well-formed ``hh:hh:...`` (1-2 hex digits per byte), else None."""
    if _HEX_PAIRS.fullmatch(text):  # the usual form: two digits per byte
        return bytes.fromhex(text.replace(":", ""))
    if _HEX_BYTES.fullmatch(text):
        return bytes(int(part, 16) for part in text.split(":"))
    return None


def parse_mac(token: Token) -> bytes:
    """Six ``:``-separated hex bytes."""
    mac = parse_hex_bytes(token, "MAC address")
    if len(mac) != 6:
        raise ConfigError(token.pos, f"a MAC address has 6 bytes, '{token.text}' has {len(mac)}")
    return mac
