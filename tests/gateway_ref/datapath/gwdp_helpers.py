"""Shared helpers for the datapath tests: a cfg covering every path, and a scapy peer.

Addresses: protected side 198.18.0.0/16 and 2001:2:0:1::/64, 2001:2:0:5::/64 on port 1;
unprotected side 198.19.0.0/16, 2001:2:0:2::/64, 2001:2:0:6::/64 on port 0 (run with -u 0x1).
The peer is scapy's SecurityAssociation: an implementation independent of gateway_ref.esp.
"""
from __future__ import annotations

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether

from gateway_ref.gateway import Gateway

PORT0_NEIGH, PORT1_NEIGH = "02:00:00:00:fe:01", "02:00:00:00:01:01"
PORT_MACS = {0: bytes.fromhex("0200000000a0"), 1: bytes.fromhex("0200000000a1")}
GW4, PEER4 = "198.18.255.1", "198.19.255.1"
GW6, PEER6 = "2001:2:0:ff::1", "2001:2:0:fe::1"


def _key(first: int, n: int) -> bytes:
    return bytes((first + i) & 0xFF for i in range(n))


def _hex(key: bytes) -> str:
    return ":".join(f"{b:02x}" for b in key)


# spi -> (algorithm kind, keys, mode, inner v6?)
SAS: dict[int, dict] = {}
for spi, kind, mode, v6 in [(1001, "gcm", "ipv4-tunnel", False), (1002, "cbc", "ipv4-tunnel", False),
                            (1003, "gcm256", "ipv6-tunnel", True), (1004, "gcm", "transport", False),
                            (1005, "gcm", "ipv4-tunnel", True)]:
    for direction, s in (("out", spi), ("in", spi + 1000)):
        base = s % 256
        SAS[s] = {"direction": direction, "kind": kind, "mode": mode, "v6": v6,
                  "aead": _key(base, 36 if kind == "gcm256" else 20), "cipher": _key(base, 16),
                  "auth": _key(base + 64, 32)}


def _sa_line(spi: int, sa_type: str) -> str:
    sa = SAS[spi]
    if sa["kind"] == "cbc":
        algo = f"cipher_algo aes-128-cbc cipher_key {_hex(sa['cipher'])} auth_algo sha256-hmac auth_key {_hex(sa['auth'])}"
    else:
        name = "aes-256-gcm" if sa["kind"] == "gcm256" else "aes-128-gcm"
        algo = f"aead_algo {name} aead_key {_hex(sa['aead'])}"
    out = sa["direction"] == "out"
    if sa["mode"] == "ipv4-tunnel":
        ends = f"src {GW4} dst {PEER4}" if out else f"src {PEER4} dst {GW4}"
    elif sa["mode"] == "ipv6-tunnel":
        ends = f"src {GW6} dst {PEER6}" if out else f"src {PEER6} dst {GW6}"
    else:
        ends = ""
    return f"sa {sa['direction']} {spi} {algo} mode {sa['mode']} {ends} {sa_type}\n"


ANY = "sport 0:65535 dport 0:65535"
POLICIES = f"""
sp ipv4 out esp discard pri 100 src 198.18.0.0/16 dst 198.19.200.0/24 {ANY}
sp ipv4 out esp bypass pri 50 dst 198.19.100.0/24 {ANY}
sp ipv4 out esp protect 1001 pri 10 src 198.18.1.0/24 dst 198.19.1.0/24 {ANY}
sp ipv4 out esp protect 1002 pri 10 src 198.18.2.0/24 dst 198.19.2.0/24 {ANY}
sp ipv4 out esp protect 1004 pri 10 src 198.18.4.5/32 dst 198.19.4.7/32 {ANY}
sp ipv6 out esp protect 1003 pri 10 src 2001:2:0:1::/64 dst 2001:2:0:2::/64 {ANY}
sp ipv6 out esp protect 1005 pri 10 src 2001:2:0:5::/64 dst 2001:2:0:6::/64 {ANY}
sp ipv4 in esp discard pri 60 src 198.19.200.0/24 {ANY}
sp ipv4 in esp bypass pri 50 src 198.19.100.0/24 {ANY}
sp ipv4 in esp protect 2001 pri 10 src 198.19.1.0/24 dst 198.18.1.0/24 {ANY}
sp ipv4 in esp protect 2002 pri 10 src 198.19.2.0/24 dst 198.18.2.0/24 {ANY}
sp ipv4 in esp protect 2004 pri 10 src 198.19.4.7/32 dst 198.18.4.5/32 {ANY}
sp ipv6 in esp protect 2003 pri 10 src 2001:2:0:2::/64 dst 2001:2:0:1::/64 {ANY}
# transport SAs: single hosts, as inline-crypto transport SAs require (secgw-reference 1.3)
sp ipv6 in esp protect 2005 pri 10 src 2001:2:0:6::/64 dst 2001:2:0:5::/64 {ANY}
"""
ROUTES = """
rt ipv4 dst 198.19.0.0/16 port 0
rt ipv4 dst 198.18.1.0/24 port 1
rt ipv4 dst 198.18.2.0/24 port 1
rt ipv4 dst 198.18.4.0/24 port 1
rt ipv6 dst 2001:2:0:2::/64 port 0
rt ipv6 dst 2001:2:0:6::/64 port 0
rt ipv6 dst 2001:2:0:fe::/64 port 0
rt ipv6 dst 2001:2:0:1::/64 port 1
rt ipv6 dst 2001:2:0:5::/64 port 1
neigh port 0 02:00:00:00:fe:01
neigh port 1 02:00:00:00:01:01
"""


def cfg_text(sa_type: str = "type cpu-crypto") -> str:
    """The test cfg with every SA's type (and port_id) set to ``sa_type``."""
    return POLICIES + "".join(_sa_line(spi, sa_type) for spi in sorted(SAS)) + ROUTES


def scapy_sa(spi: int, esn: bool = False) -> SecurityAssociation:
    """scapy's twin of our SA ``spi``: decrypts what we send (out SAs), encrypts to us (in SAs).
    ``esn``: extended sequence numbers (high 32 bits 0 for these small sequence numbers)."""
    sa = SAS[spi]
    out = sa["direction"] == "out"
    tunnel = None
    if sa["mode"] == "ipv4-tunnel":
        tunnel = IP(src=GW4, dst=PEER4) if out else IP(src=PEER4, dst=GW4)
    elif sa["mode"] == "ipv6-tunnel":
        tunnel = IPv6(src=GW6, dst=PEER6) if out else IPv6(src=PEER6, dst=GW6)
    if sa["kind"] == "cbc":
        return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-CBC", crypt_key=sa["cipher"],
                                   auth_algo="SHA2-256-128", auth_key=sa["auth"], tunnel_header=tunnel, esn_en=esn)
    return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=sa["aead"], auth_algo="NULL",
                               tunnel_header=tunnel, esn_en=esn)


def udp(src: str, dst: str, n: int = 0, size: int = 16) -> IP | IPv6:
    l3 = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
    return l3 / UDP(sport=1000 + n, dport=2000) / bytes((n + i) & 0xFF for i in range(size))


def frame(l3, src: str = PORT1_NEIGH) -> bytes:
    return bytes(Ether(src=src, dst="02:00:00:00:00:a1") / l3)


def esp_frame(spi: int, inner, seq: int, esn: bool = False) -> bytes:
    """The peer's ESP frame for inbound SA ``spi`` carrying ``inner``."""
    iv_len = 16 if SAS[spi]["kind"] == "cbc" else 8
    return frame(scapy_sa(spi, esn).encrypt(inner, seq_num=seq, iv=seq.to_bytes(iv_len, "big")), PORT0_NEIGH)


def run_all(gw: Gateway, port: int, frames: list[bytes]) -> dict[int, list[bytes]]:
    """process + flush, outputs merged per port; checks rx == tx + dropped + pending."""
    out = gw.process(port, frames)
    for p, more in gw.flush().items():
        out.setdefault(p, []).extend(more)
    c = gw.counters()
    assert c["rx"] == c["tx"] + c["dropped"] + c["pending"]
    assert c["pending"] == 0
    return out
