"""Sequence numbers and ESN (RFC 4303 §2.2, §2.2.1, §3.3.3, App. A).

Egress invariants (first sequence number 1 or the SA's start, +1 per packet, IV unique) are
checked on every exchange; here they run over ESN and replay-window variants of every layout and
across the 2^32 boundary, where only the low 32 bits go on the wire and the high 32 bits enter
the ICV (HMAC) or the AAD (AEAD).
"""
from __future__ import annotations

import pytest

from harness.scenario.model import Direction
from testsuites.conformance.traffic import inbound, outbound, sa_of, with_sas

pytestmark = pytest.mark.conformance

COUNT = 32
VARIANTS = ["tun44-aes128gcm-esn-w64", "tun66-aes256cbc-sha256-esn", "tun46-chacha20-w64",
            "tun64-aes128ctr-sha1-esn-w64", "trs4-aes128cbc-sha256-esn-w64", "trs6-aes256gcm-esn",
            "tun44-null-gmac-esn-w64", "tun44-aes128cbc-xcbc-esn", "tun44-aes128gcm-w1024"]
CROSSING = ["tun44-aes128gcm-esn-w64", "tun66-aes256cbc-sha256-esn-w64", "trs4-aes128cbc-sha1-esn-w64",
            "tun64-chacha20-esn-w64", "tun44-null-gmac-esn-w64", "tun46-aes128ccm-esn-w64"]
BOUNDARY = 2**32 - 4  # four packets below the boundary, the rest above


@pytest.mark.parametrize("preset", VARIANTS)
def test_sequence_start_and_continuity(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """E2 first packet carries 1, E3 +1 per packet with no gap or repeat, G4/G6 IV never
    repeated; inbound E6/E8 window accepts an in-order stream (ESN inferred from low bits)."""
    sc = scenario_of(preset)
    ex = exchange(sc, [outbound(sc, 1, COUNT, ext=False), inbound(sc, 2, COUNT)])
    assert_conformant(ex)
    stats = ex.result.sa_invariants[sa_of(sc, Direction.OUT).spi]
    assert ex.result.expected_kinds == {"Encrypt": COUNT, "Decrypt": COUNT}
    assert (stats.packets, stats.first_seq, stats.last_seq, stats.gaps, stats.repeats) == (COUNT, 1, COUNT, 0, 0)


@pytest.mark.parametrize("preset", CROSSING)
@pytest.mark.parametrize("direction", ["out", "in"])
def test_esn_crosses_2_to_32(preset: str, direction: str, exchange, assert_conformant, scenario_of) -> None:
    """E5: with ESN the sequence crosses 2^32 without wrapping: low 32 bits on the wire, high
    bits in the ICV/AAD (G2 for AEAD); E8: the receiver infers the new epoch. SAs start at
    2^32 - 4 (secgw ``esn N``)."""
    sc = with_sas(scenario_of(preset), esn_start=BOUNDARY)
    stream = outbound(sc, 1, 8, ext=False) if direction == "out" else inbound(sc, 1, 8, seq_start=BOUNDARY)
    ex = exchange(sc, [stream])
    assert_conformant(ex)
    assert ex.result.correlation.totals().delivered == 8
    if direction == "out":
        stats = ex.result.sa_invariants[sa_of(sc, Direction.OUT).spi]
        assert (stats.first_seq, stats.last_seq, stats.repeats) == (BOUNDARY, BOUNDARY + 7, 0)
