"""``ipsec-in-fast`` (datapath/fast_in.py) against the graph it fronts: the same inbound bursts
with the fast path on and off give the same counters and the same frames, each flow's in order."""
from __future__ import annotations

import random

import pytest

from gwdp_helpers import PORT0_NEIGH, cfg_text, esp_frame, frame, udp
from gateway_ref.gateway import Gateway

FLOWS_IN = [(2001, "198.19.1.7", "198.18.1.5"), (2002, "198.19.2.7", "198.18.2.5"),
            (2004, "198.19.4.7", "198.18.4.5"),  # transport SA
            (2003, "2001:2:0:2::7", "2001:2:0:1::5"),  # IPv6 outer: never the fast path
            (2005, "2001:2:0:6::7", "2001:2:0:5::5")]  # IPv6 in IPv4: the graph takes the inner
ODD = [(2002, "198.19.1.7", "198.18.1.5"),  # decrypted by the wrong SA for the policy
       (2001, "198.19.1.7", "198.18.9.5")]  # no inbound rule (and no route) for the inner packet


def _bursts(seed: int, esn: bool) -> list[list[bytes]]:
    rng = random.Random(seed)
    seq = {spi: 0 for spi, _, _ in FLOWS_IN + ODD}
    bursts = []
    v4_outer = [f for f in FLOWS_IN if ":" not in f[1] or f[0] == 2005]
    for b in range(6):
        burst = []
        pool = v4_outer * 3 + ODD if rng.random() < 0.7 else FLOWS_IN * 3 + ODD  # mostly bursts it may take
        for i in range(rng.randrange(1, 30)):
            spi, src, dst = rng.choice(pool)
            seq[spi] += rng.choice((1, 1, 1, 2, 70))  # gaps, and jumps past a 64-packet window
            inner = udp(src, dst, n=i, size=rng.choice((8, 40, 400)))
            if ":" not in src and rng.random() < 0.2:
                inner.chksum = 0xBEEF  # a wrong inner IPv4 checksum: forwarded with it recomputed
            burst.append(esp_frame(spi, inner, seq[spi], esn))
        if burst and rng.random() < 0.5:
            burst.append(rng.choice(burst))  # a duplicate inside the burst
        if burst and rng.random() < 0.5:
            bad = bytearray(rng.choice(burst))
            bad[-3] ^= 0x40  # corrupted ICV
            burst.insert(rng.randrange(len(burst) + 1), bytes(bad))
        if rng.random() < 0.1:
            burst.append(frame(udp("198.19.100.7", "198.18.1.5", b), PORT0_NEIGH))  # clear: the graph takes the burst
        if bursts and rng.random() < 0.3:
            burst.append(rng.choice(bursts[-1]))  # a replay from the last burst
        bursts.append(burst)
    return bursts


def _run(bursts: list[list[bytes]], fast: bool, **options) -> tuple[dict[int, list[bytes]], dict]:
    gw = Gateway.from_cfg_text(cfg_text(), "test.cfg", unprotected_ports=frozenset({0}), replay_window=64,
                               fast_path=fast, **options)
    try:
        out: dict[int, list[bytes]] = {}
        for burst in bursts:
            for port, frames in gw.process(0, burst).items():
                out.setdefault(port, []).extend(frames)
        return out, gw.counters()
    finally:
        gw.close()


def _by_flow(out: dict[int, list[bytes]]) -> dict[tuple[int, bytes], list[bytes]]:
    """Frames per (port, inner source and destination), in emission order."""
    flows: dict[tuple[int, bytes], list[bytes]] = {}
    for port, frames in out.items():
        for f in frames:
            key = f[26:34] if f[12:14] == b"\x08\x00" else f[22:54]
            flows.setdefault((port, key), []).append(f)
    return flows


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("options", [{}, {"esn": True}, {"mtu": 200}, {"enabled_ports": frozenset({0})}],
                         ids=["w64", "w64-esn", "mtu", "port1-off"])
def test_fast_path_gives_the_graphs_frames_and_counters(seed: int, options: dict) -> None:
    bursts = _bursts(seed, options.get("esn", False))
    fast_out, fast = _run(bursts, True, **options)
    slow_out, slow = _run(bursts, False, **options)
    assert fast["nodes"]["ipsec-in-fast"]["packets"] > 0, "the fast path never ran: nothing compared"
    assert _by_flow(fast_out) == _by_flow(slow_out)
    for counters in (fast, slow):
        del counters["nodes"]
    assert fast == slow


def test_drop_reasons_in_a_burst_match_the_graphs() -> None:
    """A duplicate and a corrupted copy of a packet accepted in the same burst: replay and
    icv-failed, as the graph's burst-wise pre-check gives them."""
    good = [esp_frame(2001, udp("198.19.1.7", "198.18.1.5", n=i), i + 1) for i in range(3)]
    bad = bytearray(good[1])
    bad[-3] ^= 0x40
    gw = Gateway.from_cfg_text(cfg_text(), "test.cfg", unprotected_ports=frozenset({0}), replay_window=64)
    try:
        out = gw.process(0, [*good, good[0], bytes(bad)])
        c = gw.counters()
        assert c["nodes"]["ipsec-in-fast"]["packets"] == 5
        assert len(out[1]) == 3 and c["drops"] == {"icv-failed": 1, "replay": 1}
        assert c["drops_by_node"] == {"esp-decrypt": {"icv-failed": 1, "replay": 1}}
    finally:
        gw.close()
