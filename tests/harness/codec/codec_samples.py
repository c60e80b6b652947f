"""Sample SAs and packets for the codec tests (addresses from 198.18.0.0/15, 2001:2::/48)."""

from __future__ import annotations

import ipaddress

from harness.codec.algorithms import AEADS, AUTHS, CIPHERS
from harness.codec.ipv4 import IpProto, build_ipv4
from harness.codec.ipv6 import build_ipv6
from harness.codec.l4 import build_udp
from harness.codec.spec import EspSaSpec

V4_SRC, V4_DST = ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("198.19.0.1")
V6_SRC, V6_DST = ipaddress.ip_address("2001:2::1"), ipaddress.ip_address("2001:2::2")


def key(n: int, seed: int = 0) -> bytes:
    """Deterministic, non-trivial key bytes."""
    return bytes((i * 29 + seed * 7 + 3) & 0xFF for i in range(n))


def combos() -> list[tuple[str | None, str | None, str | None]]:
    """(cipher, auth, aead) for every keyword: each cipher with sha256-hmac, each auth with
    aes-128-cbc (aes-gmac with null), each AEAD alone."""
    out: list[tuple[str | None, str | None, str | None]] = []
    out += [(c, "sha256-hmac", None) for c in CIPHERS]
    out += [("null" if a == "aes-gmac" else "aes-128-cbc", a, None) for a in AUTHS if a != "sha256-hmac"]
    out += [(None, None, a) for a in AEADS]
    return out


def combo_id(combo: tuple[str | None, str | None, str | None]) -> str:
    c, a, d = combo
    return d if d else f"{c}+{a}"


def make_spec(combo: tuple[str | None, str | None, str | None], *, mode: str = "tunnel", v6: bool = False,
              esn: bool = False, spi: int = 0x1001, udp_encap: tuple[int, int] | None = None) -> EspSaSpec:
    c, a, d = combo
    src, dst = (V6_SRC, V6_DST) if v6 else (V4_SRC, V4_DST)
    tunnel = mode == "tunnel"
    if d is not None:
        return EspSaSpec(spi=spi, mode=mode, aead=d, aead_key=key(AEADS[d].key_len, 1),
                         tunnel_src=src if tunnel else None, tunnel_dst=dst if tunnel else None,
                         esn=esn, udp_encap=udp_encap)
    return EspSaSpec(spi=spi, mode=mode, cipher=c, cipher_key=key(CIPHERS[c].key_len, 2), auth=a,
                     auth_key=key(AUTHS[a].key_len, 3), tunnel_src=src if tunnel else None,
                     tunnel_dst=dst if tunnel else None, esn=esn, udp_encap=udp_encap)


def inner_v4(payload_len: int = 30, tos: int = 0) -> bytes:
    src, dst = ipaddress.ip_address("198.18.10.1"), ipaddress.ip_address("198.19.10.1")
    return build_ipv4(src, dst, IpProto.UDP, build_udp(src, dst, 1024, 2048, key(payload_len, 9)), tos=tos)


def inner_v6(payload_len: int = 30, ext: tuple = ()) -> bytes:
    src, dst = ipaddress.ip_address("2001:2::a"), ipaddress.ip_address("2001:2::b")
    return build_ipv6(src, dst, IpProto.UDP, build_udp(src, dst, 1024, 2048, key(payload_len, 9)),
                      ext_headers=ext, traffic_class=0xB8)
