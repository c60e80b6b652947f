"""SAs and pcaps for the oracle tests (addresses from 198.18.0.0/15 and 2001:2::/48)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from scapy.utils import RawPcapWriter

from harness.codec.algorithms import AEADS, AUTHS, CIPHERS
from harness.codec.esp_encode import EspEncoder
from harness.codec.ethernet import EtherType, build_ethernet
from harness.codec.ipv4 import IpProto, build_ipv4
from harness.codec.l4 import build_udp
from harness.codec.spec import Corruption, EspSaSpec

SRC4, DST4 = ipaddress.ip_address("198.18.0.1"), ipaddress.ip_address("198.19.0.1")
SRC6, DST6 = ipaddress.ip_address("2001:2::1"), ipaddress.ip_address("2001:2::2")


def key(n: int, seed: int) -> bytes:
    return bytes((i * 31 + seed) & 0xFF for i in range(n))


def spec(spi: int, cipher: str | None = None, auth: str | None = None, aead: str | None = None,
         v6: bool = False, esn: bool = False) -> EspSaSpec:
    src, dst = (SRC6, DST6) if v6 else (SRC4, DST4)
    if aead:
        return EspSaSpec(spi=spi, mode="tunnel", aead=aead, aead_key=key(AEADS[aead].key_len, 1),
                         tunnel_src=src, tunnel_dst=dst, esn=esn)
    assert cipher is not None and auth is not None
    return EspSaSpec(spi=spi, mode="tunnel", cipher=cipher, cipher_key=key(CIPHERS[cipher].key_len, 2),
                     auth=auth, auth_key=key(AUTHS[auth].key_len, 3), tunnel_src=src, tunnel_dst=dst, esn=esn)


def inner(n: int = 40) -> bytes:
    s, d = ipaddress.ip_address("198.18.5.1"), ipaddress.ip_address("198.19.5.1")
    return build_ipv4(s, d, IpProto.UDP, build_udp(s, d, 5000, 6000, key(n, 4)))


def write_pcap(path: Path, specs: list[EspSaSpec], count: int,
               corrupt: dict[int, Corruption] | None = None) -> list[int]:
    """``count`` packets per SA (seq 1..count); ``corrupt`` maps a seq to damage. Returns the
    SPI of each frame in order."""
    spis = []
    writer = RawPcapWriter(str(path), linktype=1)
    for sa in specs:
        enc = EspEncoder(sa)
        assert sa.tunnel_src is not None
        eth = build_ethernet("02:00:00:00:00:01", "02:00:00:00:00:02",
                             EtherType.IPV4 if sa.tunnel_src.version == 4 else EtherType.IPV6)
        for seq in range(1, count + 1):
            seq64 = seq | (1 << 32) if sa.esn else seq
            writer.write(eth + enc.encode(inner(), seq64, corrupt=(corrupt or {}).get(seq)))
            spis.append(sa.spi)
    writer.close()
    return spis
