"""Generate the bundled input pcaps for examples/secgw-basic.cfg.

    .venv/bin/python examples/make_example_pcaps.py [OUT_DIR]   (default: examples/)

Writes ``port1-clear.pcap`` (clear UDP from protected-side hosts on port 1: traffic for each
outbound protect rule, the bypass and discard rules, and one default-deny packet) and
``port0-esp.pcap`` (what the IPsec peer sends to the unprotected port 0: ESP for each inbound
SA, built with scapy's own ``SecurityAssociation`` so a second implementation produces it,
plus clear bypass traffic). Deterministic: fixed timestamps, IV derived from the sequence
number. Then try::

    gateway-ref offline -f examples/secgw-basic.cfg --rx 1=examples/port1-clear.pcap \\
        --rx 0=examples/port0-esp.pcap --out /tmp/gw-out
"""
from __future__ import annotations

import sys
from pathlib import Path

from scapy.layers.inet import IP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether

from gateway_ref.cfg import load_cfg
from gateway_ref.pcap import PcapRecord, write_pcap

HERE = Path(__file__).resolve().parent
CFG = HERE / "secgw-basic.cfg"
PEER_MAC = "02:00:00:00:fe:01"  # neigh port 0: the peer
HOST_MAC = "02:00:00:00:01:01"  # neigh port 1: protected-side host
GW_MAC = "02:00:00:00:00:aa"  # frames are addressed to the gateway; it does not filter on it
BASE_NS = 1_700_000_000 * 1_000_000_000
STEP_NS = 10_000  # 10 us between frames


def _udp(src: str, dst: str, n: int, v6: bool = False) -> IP | IPv6:
    l3 = IPv6(src=src, dst=dst) if v6 else IP(src=src, dst=dst)
    return l3 / UDP(sport=10000 + n, dport=20000) / f"example payload {n:03d}".encode()


def clear_frames() -> list[bytes]:
    """Port 1 (protected side) traffic toward the unprotected side."""
    pkts = []
    for n in range(4):
        pkts.append(_udp("198.18.1.10", "198.19.1.20", n))  # protect 1001 (AES-128-GCM tunnel)
        pkts.append(_udp("198.18.2.10", "198.19.2.20", n))  # protect 1002 (AES-CBC + SHA256 tunnel)
        pkts.append(_udp("2001:2:0:1::10", "2001:2:0:2::20", n, v6=True))  # protect 1003 (IPv6 tunnel)
        pkts.append(_udp("198.18.3.10", "198.19.3.20", n))  # protect 1004 (transport)
        pkts.append(_udp("198.18.1.10", "198.19.100.20", n))  # bypass
    pkts.append(_udp("198.18.1.10", "198.19.200.20", 0))  # discard rule
    pkts.append(_udp("198.18.9.10", "198.19.9.20", 0))  # no rule: default deny
    return [bytes(Ether(src=HOST_MAC, dst=GW_MAC) / p) for p in pkts]


def _peer_sas() -> dict[int, SecurityAssociation]:
    """scapy SAs equivalent to the cfg's inbound SAs (keys read from the cfg)."""
    cfg = load_cfg(CFG)
    sas = {}
    for rule in cfg.sa:
        if rule.direction.value != "in":
            continue
        tunnel = None
        if rule.src is not None:
            tunnel = (IP if rule.src.version == 4 else IPv6)(src=str(rule.src), dst=str(rule.dst))
        if rule.aead_algo is not None:
            sas[rule.spi] = SecurityAssociation(ESP, spi=rule.spi, crypt_algo="AES-GCM", crypt_key=rule.aead_key,
                                                auth_algo="NULL", tunnel_header=tunnel)
        else:
            sas[rule.spi] = SecurityAssociation(ESP, spi=rule.spi, crypt_algo="AES-CBC", crypt_key=rule.cipher_key,
                                                auth_algo="SHA2-256-128", auth_key=rule.auth_key,
                                                tunnel_header=tunnel)
    return sas


def esp_frames() -> list[bytes]:
    """Port 0 (unprotected side): the peer's ESP for each inbound SA, and clear bypass traffic."""
    sas = _peer_sas()
    flows = [
        (2001, "198.19.1.20", "198.18.1.10", False),
        (2002, "198.19.2.20", "198.18.2.10", False),
        (2003, "2001:2:0:2::20", "2001:2:0:1::10", True),
        (2004, "198.19.3.20", "198.18.3.10", False),
    ]
    frames = []
    for seq in range(1, 5):
        for spi, src, dst, v6 in flows:
            sa = sas[spi]
            iv_len = 16 if spi == 2002 else 8
            enc = sa.encrypt(_udp(src, dst, seq, v6), seq_num=seq, iv=seq.to_bytes(iv_len, "big"))
            frames.append(bytes(Ether(src=PEER_MAC, dst=GW_MAC) / enc))
        frames.append(bytes(Ether(src=PEER_MAC, dst=GW_MAC) / _udp("198.19.100.20", "198.18.1.10", seq)))
    return frames


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, frames in (("port1-clear.pcap", clear_frames()), ("port0-esp.pcap", esp_frames())):
        records = [PcapRecord(BASE_NS + i * STEP_NS, f) for i, f in enumerate(frames)]
        write_pcap(out_dir / name, records)
        print(f"{out_dir / name}: {len(records)} frames")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
