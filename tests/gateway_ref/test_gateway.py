"""Gateway API: construction options, errors, context manager, engine choice, counters shape."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether

from gateway_ref.cfg import ConfigError
from gateway_ref.gateway import Gateway
from gateway_ref.pcap import read_pcap

ROOT = Path(__file__).resolve().parents[2]
CFG = ROOT / "examples" / "secgw-basic.cfg"


def _clear(dst: str = "198.19.1.7", ttl: int = 64) -> bytes:
    return bytes(Ether() / IP(src="198.18.1.5", dst=dst, ttl=ttl) / UDP(sport=1, dport=2) / b"payload")


def test_from_file_processes_example_pcaps_and_counts_everything() -> None:
    with Gateway.from_cfg_file(CFG, replay_window=64) as gw:
        out1 = gw.process(1, [r.data for r in read_pcap(ROOT / "examples" / "port1-clear.pcap")])
        out0 = gw.process(0, [r.data for r in read_pcap(ROOT / "examples" / "port0-esp.pcap")])
        rest = gw.flush()
        c = gw.counters()
    sent = sum(len(v) for d in (out1, out0, rest) for v in d.values())
    assert sent == c["tx"] == 40 and c["rx"] == 42 and c["dropped"] == 2
    json.dumps(c)  # JSON-serialisable
    assert set(c["sa"]) == {f"{d}/{s}" for d, base in (("out", 1000), ("in", 2000)) for s in range(base + 1, base + 5)}
    assert c["policy"]["spd4"]["out"]["discard"] == 2 and c["policy"]["spd6"]["out"]["protect"] == 4


def test_config_errors_raise_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^bad\.cfg:1:1: error:"):
        Gateway.from_cfg_text("frobnicate everything\n", "bad.cfg")
    with pytest.raises(ValueError, match="replay_window"):
        Gateway.from_cfg_file(CFG, replay_window=-1)


def test_legacy_engine_decrements_inner_ttl_library_does_not() -> None:
    # SA 1001 of the example cfg, as scapy's independent implementation sees it
    peer = SecurityAssociation(ESP, spi=1001, crypt_algo="AES-GCM",
                               crypt_key=bytes(range(0x10, 0x20)) + bytes.fromhex("cafebabe"), auth_algo="NULL",
                               tunnel_header=IP(src="198.18.255.1", dst="198.19.255.1"))
    seen = {}
    for engine in ("library", "legacy"):
        with Gateway.from_cfg_file(CFG, engine=engine) as gw:
            gw.process(1, [_clear(ttl=30)])
            out = gw.flush()
        outer = Ether(out[0][0])[IP]
        seen[engine] = (outer.ttl, outer.id, peer.decrypt(outer.copy())[IP].ttl)
    assert seen == {"library": (64, 1, 30), "legacy": (64, 0, 29)}  # library: IPv4 ID = low 16 bits of seq


def test_unprotected_ports_option_sets_direction() -> None:
    clear = _clear("198.19.100.7")
    with Gateway.from_cfg_file(CFG, unprotected_ports=frozenset({1})) as gw:
        gw.process(1, [clear])  # port 1 is now unprotected: inbound SPD, no rule for this src
        assert gw.counters()["drops"] == {"sp-no-match": 1}
        assert gw.ports() == [0, 1]
