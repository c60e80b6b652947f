"""``ipsec-out-fast`` (datapath/fast_out.py) against the graph it fronts: the same bursts with
the fast path on and off give the same frames, in the same order, and the same counters."""
from __future__ import annotations

import random

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Dot1Q, Ether

from gwdp_helpers import PORT1_NEIGH, cfg_text, frame, udp
from gateway_ref.gateway import Gateway

ELIGIBLE = [("198.18.1.5", "198.19.1.7")]  # protect 1001: GCM IPv4 tunnel, fixed port 0
OTHERS = [("198.18.2.5", "198.19.2.7"),  # protect 1002: CBC tunnel (cpu-crypto too: eligible)
          ("198.18.4.5", "198.19.4.7"),  # protect 1004: transport, routed per packet (not eligible)
          ("198.18.1.5", "198.19.100.7"),  # bypass
          ("198.18.1.5", "198.19.200.7"),  # discard
          ("198.18.9.5", "198.19.9.7"),  # no rule matches (default deny)
          ("2001:2:0:1::5", "2001:2:0:2::7")]  # IPv6: never the fast path


def _odd_frames(rng: random.Random) -> list[bytes]:
    """Frames the fast path must hand to the graph untouched."""
    inner = udp("198.18.1.5", "198.19.1.7", 3)
    return [
        frame(IP(src="198.18.1.5", dst="198.19.1.7", proto=50) / bytes(24)),  # ESP on a protected port
        frame(IP(src="198.18.1.5", dst="198.19.1.7", options=b"\x01\x01\x01\x01") / UDP() / b"x"),  # IHL 6
        bytes(Ether(src=PORT1_NEIGH, dst="02:00:00:00:00:a1") / Dot1Q(vlan=5) / inner),  # VLAN tag
        frame(inner)[:30],  # runt
        frame(IP(src="198.18.1.5", dst="198.19.1.7", proto=1) / b"ab"),  # shorter than the SPD's selectors
        frame(inner) + bytes(rng.randrange(1, 9)),  # Ethernet padding after the IP packet: trimmed
        bytearray_len_lie(frame(inner)),  # IP total length longer than the frame
    ]


def bytearray_len_lie(raw: bytes) -> bytes:
    b = bytearray(raw)
    b[16:18] = (len(raw)).to_bytes(2, "big")  # 14 bytes more than there is
    return bytes(b)


def _bursts(seed: int) -> list[list[bytes]]:
    rng = random.Random(seed)
    flows = ELIGIBLE * 4 + OTHERS
    bursts = []
    for b in range(6):
        burst = [frame(udp(*rng.choice(flows), n=b * 50 + i, size=rng.choice((8, 40, 200, 1400))))
                 for i in range(rng.randrange(1, 40))]
        for odd in rng.sample(_odd_frames(rng), rng.randrange(0, 3)):
            burst.insert(rng.randrange(len(burst) + 1), odd)
        bursts.append(burst)
    return bursts


def _run(text: str, bursts: list[list[bytes]], fast: bool, **options) -> tuple[dict[int, list[bytes]], dict]:
    gw = Gateway.from_cfg_text(text, "test.cfg", unprotected_ports=frozenset({0}), fast_path=fast, **options)
    try:
        out: dict[int, list[bytes]] = {}
        for burst in bursts:
            for port, frames in gw.process(1, burst).items():
                out.setdefault(port, []).extend(frames)
        return out, gw.counters()
    finally:
        gw.close()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("options", [{}, {"mtu": 300}, {"enabled_ports": frozenset({0})}],
                         ids=["plain", "mtu", "port1-off"])
def test_fast_path_gives_the_graphs_frames_and_counters(seed: int, options: dict) -> None:
    bursts = _bursts(seed)
    fast_out, fast = _run(cfg_text(), bursts, True, **options)
    slow_out, slow = _run(cfg_text(), bursts, False, **options)
    assert fast["nodes"]["ipsec-out-fast"]["packets"] > 0, "the fast path never ran: nothing compared"
    assert "ipsec-out-fast" not in slow["nodes"]
    assert fast_out == slow_out
    for counters in (fast, slow):
        del counters["nodes"]
    assert fast == slow


def test_a_miss_sends_the_rest_of_the_burst_through_the_graph_in_order() -> None:
    gw = Gateway.from_cfg_text(cfg_text(), "test.cfg", unprotected_ports=frozenset({0}))
    try:
        hit = [frame(udp(*ELIGIBLE[0], n=i)) for i in range(3)]
        bypass = frame(udp("198.18.1.5", "198.19.100.7"))
        out = gw.process(1, [hit[0], bypass, hit[1], hit[2]])[0]
        fast = gw.counters()["nodes"]["ipsec-out-fast"]
        assert fast == {"calls": 1, "packets": 1}  # hit[1], hit[2] went after the bypass, through the graph
        esp = [f for f in out if f[23] == 50]
        assert len(out) == 4 and len(esp) == 3
        assert [int.from_bytes(f[14 + 20 + 4:14 + 20 + 8], "big") for f in esp] == [1, 2, 3]  # the SA's order
    finally:
        gw.close()


def test_cpu_crypto_only() -> None:
    """A no-offload SA's flows are not eligible: its packets keep the lookaside engine's path."""
    text = cfg_text("type no-offload")
    gw = Gateway.from_cfg_text(text, "test.cfg", unprotected_ports=frozenset({0}))
    try:
        gw.process(1, [frame(udp(*ELIGIBLE[0], n=i)) for i in range(4)])
        gw.flush()
        counters = gw.counters()
        assert counters["nodes"]["ipsec-out-fast"]["packets"] == 0
        assert counters["tx"] == 4 and counters["nodes"]["crypto-lookaside"]["packets"] == 4
    finally:
        gw.close()
