"""Shared builders for the ESP tests (a plain module with a unique name, imported by the test
files): SA rules with deterministic keys, inner packets."""
from __future__ import annotations

import ipaddress

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6

from gateway_ref.cfg.errors import SourcePos
from gateway_ref.cfg.records import Direction, Family, OffloadType, SaMode, SaRule
from gateway_ref.esp import Engine, EspSa, make_sa
from gateway_ref.proto.algorithms import AEADS, AUTHS, CIPHERS

V4_SRC, V4_DST = "198.18.0.1", "198.19.0.1"
V6_SRC, V6_DST = "2001:2::1", "2001:2:0:1::1"
IN4_SRC, IN4_DST = "198.18.10.1", "198.18.20.1"
IN6_SRC, IN6_DST = "2001:2:0:10::1", "2001:2:0:20::1"


def key(n: int, seed: int = 1) -> bytes:
    return bytes((seed * 7 + i * 13) & 0xFF for i in range(n))


def sa_rule(*, aead: str | None = "aes-128-gcm", cipher: str | None = None, auth: str | None = None,
            mode: SaMode = SaMode.IPV4_TUNNEL, spi: int = 0x1000, esn: int = 0,
            udp_encap: bool = False, direction: Direction = Direction.OUT) -> SaRule:
    if cipher is not None or auth is not None:
        aead = None
    src = dst = None
    if mode is SaMode.IPV4_TUNNEL:
        src, dst = ipaddress.ip_address(V4_SRC), ipaddress.ip_address(V4_DST)
    elif mode is SaMode.IPV6_TUNNEL:
        src, dst = ipaddress.ip_address(V6_SRC), ipaddress.ip_address(V6_DST)
    return SaRule(
        direction, spi, mode,
        cipher, key(CIPHERS[cipher].key_len, 2) if cipher else b"",
        auth, key(AUTHS[auth].key_len, 3) if auth else b"",
        aead, key(AEADS[aead].key_len, 4) if aead else b"",
        src, dst, OffloadType.NO_OFFLOAD, None, None, None, udp_encap, esn, 0, False, False,
        SourcePos("test.cfg", 1, 1))


def sa_pair(rule: SaRule, inner: Family, *, window: int = 64, esn: bool = False,
            engine: Engine = Engine.LIBRARY) -> tuple[EspSa, EspSa]:
    """(sender, receiver) built from the same rule."""
    return (make_sa(rule, inner, replay_window=window, esn=esn, engine=engine),
            make_sa(rule, inner, replay_window=window, esn=esn, engine=engine))


def inner4(payload: bytes = b"hello esp", tos: int = 0, ttl: int = 64) -> bytes:
    return bytes(IP(src=IN4_SRC, dst=IN4_DST, tos=tos, ttl=ttl, id=7) / UDP(sport=1024, dport=2048) / payload)


def inner6(payload: bytes = b"hello esp", tc: int = 0, hlim: int = 64) -> bytes:
    return bytes(IPv6(src=IN6_SRC, dst=IN6_DST, tc=tc, hlim=hlim) / UDP(sport=1024, dport=2048) / payload)


def inner(family: Family, payload: bytes = b"hello esp", tos: int = 0) -> bytes:
    return inner4(payload, tos) if family is Family.IPV4 else inner6(payload, tos)
