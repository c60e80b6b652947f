"""Anti-replay and sequence numbers: duplicates, packets left of the window, the window edges,
duplicates inside one burst, the ESN epoch crossing, forged high sequence numbers, and the
outbound counter near 2^32. RFC 4303 §3.4.3 (E6, E7), Appendix A2/A3 (E8), §2.2.1/§3.3.3 (E4,
E5), with the sequences of DPDK's app/test anti-replay cases (secgw-reference.md §5.4) under
RFC 4303 semantics: the window is [T - W + 1, T], so T - W is already outside (librte_ipsec,
and so secgw ``-l``, would accept it: SG-REPLAY-EDGE, a deliberate deviation of gateway_ref).

E4 (no wrap without ESN) cannot be driven black-box: the cfg language's only way to start an
SA near 2^32 - 1 is ``esn N``, which turns ESN on (secgw-reference.md §1.3), and 2^32 packets
do not fit in a test run. ``test_counter_near_2_32_continues_with_esn`` checks what the cfg
allows: an SA started at 2^32 - 2 keeps counting into the next epoch and never sends a
wrapped number with the wrong high half.
"""
from __future__ import annotations

import dataclasses

import pytest

from harness.codec.spec import Corruption, EspField
from harness.exchange import CraftedPacket
from harness.scenario.model import Tunnel
from harness.scenario.scenario import Scenario
from testsuites.negative.craft import Crafter, assert_dropped

pytestmark = pytest.mark.negative

WINDOWS = {64: "tun44-aes128gcm-w64", 1024: "tun44-aes128gcm-w1024"}
ESN_WINDOWS = {64: "tun44-aes128gcm-esn-w64-cpu", 1024: "tun66-aes256cbc-sha256-esn-w1024-cpu"}
E32 = 1 << 32


def replayed(p: CraftedPacket) -> CraftedPacket:
    """The very same frame again, now expected to be dropped as a replay."""
    return p._replace(expect_drop="replay")


OK, REPLAY = None, "replay"


def plan(c: Crafter, steps: list[tuple[int, str | None]], stream: int = 1) -> list[CraftedPacket]:
    """ESP packets in this order: (sequence number, drop reason or None when accepted). A
    replay of a number already sent is that very frame again; anything else is a fresh packet."""
    sent: dict[int, CraftedPacket] = {}
    out = []
    for k, (seq, drop) in enumerate(steps):
        if drop == REPLAY and seq in sent:
            out.append(replayed(sent[seq]))
            continue
        p = c.esp(stream, k, seq, drop=drop)
        sent.setdefault(seq, p)
        out.append(p)
    return out


@pytest.mark.parametrize("window", sorted(WINDOWS), ids=lambda w: f"w{w}")
def test_duplicates_rejected(window: int, exchange, scenario_of) -> None:
    """E6: every packet replayed once after the original; the originals pass, the copies drop."""
    sc = scenario_of(WINDOWS[window])
    c = Crafter(sc)
    good = c.good_esp(1, range(1, 6))
    pkts = [q for p in good for q in (p, replayed(p))] + c.good_mix(2, 1)
    assert_dropped(exchange.packets(sc, pkts), {"replay": 5})


@pytest.mark.parametrize("window", sorted(WINDOWS), ids=lambda w: f"w{w}")
def test_window_edges(window: int, exchange, scenario_of) -> None:
    """E6, secgw-reference.md §5.4 without ESN: 2W accepted (T = 2W), W+1 accepted (T - W + 1,
    the bottom edge), W dropped (T - W: just outside), W-1 dropped, W + W/2 accepted, W + W/2
    again dropped (duplicate), 1 dropped (far below), 2W + 1 accepted (window moves on)."""
    sc = scenario_of(WINDOWS[window])
    w = window
    steps = [(2 * w, OK), (w + 1, OK), (w, REPLAY), (w - 1, REPLAY), (w + w // 2, OK), (w + w // 2, REPLAY),
             (1, REPLAY), (2 * w + 1, OK)]
    c = Crafter(sc)
    assert_dropped(exchange.packets(sc, plan(c, steps) + c.good_mix(2, 1)), {"replay": 4})


def test_below_window_after_a_jump(exchange, scenario_of) -> None:
    """E6: after a jump far ahead (T = 5000), every number at or below T - W drops, and the
    numbers still inside the window pass once."""
    sc = scenario_of(WINDOWS[64])
    steps = [(1, OK), (2, OK), (5000, OK), (3, REPLAY), (4936, REPLAY), (4937, OK), (4999, OK),
             (4999, REPLAY), (5000, REPLAY)]
    c = Crafter(sc)
    assert_dropped(exchange.packets(sc, plan(c, steps)), {"replay": 4})


def test_duplicates_inside_one_burst(exchange, scenario_of) -> None:
    """E6 with bursts (VPP's lesson, DESIGN.md): duplicates and reordered packets inside one
    burst of 12 (the exchange sends up to 32 consecutive frames for one port as one burst); the
    check is made before crypto and again, in burst order, after the ICV verified."""
    sc = scenario_of(WINDOWS[64])
    steps = [(1, OK), (2, OK), (2, REPLAY), (4, OK), (3, OK), (4, REPLAY), (3, REPLAY), (5, OK),
             (5, REPLAY), (5, REPLAY), (7, OK), (6, OK)]
    c = Crafter(sc)
    pkts = plan(c, steps)
    assert len(pkts) < 32 and len({p.port for p in pkts}) == 1
    assert_dropped(exchange.packets(sc, pkts), {"replay": 5})


def _esn_steps(w: int) -> list[tuple[int, str | None]]:
    return [(E32 - 1 - w, OK), (E32 + w // 2, OK), (E32 - w // 2 + 1, OK), (E32 - 1, OK), (E32, OK),
            (E32 - 1, REPLAY), (E32, REPLAY), (E32 - w // 2, "icv-failed"), (E32 + w // 2 + 1, OK)]


@pytest.mark.parametrize("window", sorted(ESN_WINDOWS), ids=lambda w: f"w{w}")
def test_esn_epoch_crossing(window: int, exchange, scenario_of) -> None:
    """E6, E8 (RFC 4303 Appendix A2/A3), E5: secgw-reference.md §5.4 with ESN, one packet per
    burst through synchronous (cpu-crypto) SAs, as DPDK's app/test runs them, only the low 32 bits on the wire: 2^32-1-W, 2^32+W/2
    (top moves into the next epoch), 2^32-W/2+1 (the exact bottom edge, previous epoch),
    2^32-1, 2^32 accepted; 2^32-1 and 2^32 again dropped. Then 2^32-W/2 (= T - W, just
    outside): with the window spanning the epoch boundary, Appendix A2 case B reads a low half
    below the window's bottom as the *next* epoch (2^33-W/2), so the ICV, computed by the sender
    with high half 0, fails: dropped as icv-failed, not as replay. 2^32+W/2+1 moves on."""
    sc = scenario_of(ESN_WINDOWS[window])
    c = Crafter(sc)
    pkts = plan(c, _esn_steps(window)) + c.good_mix(2, 1)
    assert_dropped(exchange.packets(sc, pkts, burst=1), {"replay": 2, "icv-failed": 1})


@pytest.mark.parametrize("preset,burst", [
    pytest.param("tun44-aes128gcm-esn-w64-cpu", 32, id="cpu-crypto-one-burst"),
    pytest.param("tun44-aes128gcm-esn-w64", 1, id="lookaside-per-packet"),
])
def test_esn_epoch_crossing_whatever_the_grouping(preset: str, burst: int, exchange, scenario_of) -> None:
    """E8: the sequence of ``test_esn_epoch_crossing`` in one burst, and through lookaside
    (asynchronous) crypto: the verdict must not depend on bursts or crypto placement."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    assert_dropped(exchange.packets(sc, plan(c, _esn_steps(64)), burst=burst), {"replay": 2, "icv-failed": 1})


@pytest.mark.parametrize("field", [EspField.ICV, EspField.CIPHERTEXT, EspField.IV], ids=lambda f: f.value)
def test_forged_high_sequence_does_not_advance_window(field: EspField, exchange, scenario_of) -> None:
    """E7: a packet far ahead (seq 100000) whose ICV does not verify is dropped (icv-failed) and
    must not move the window: the in-window packets 4 and 5 that follow still pass. Then the
    genuine packet 100000 moves it, and 6 is left of the window."""
    sc = scenario_of(WINDOWS[64])
    c = Crafter(sc)
    pkts = c.good_esp(1, range(1, 4))
    pkts.append(c.esp(9, 0, 100_000, corrupt=Corruption(flip=field, index=0, mask=0x10), drop="icv-failed"))
    pkts += [c.esp(2, 0, 4), c.esp(2, 1, 5), c.esp(2, 2, 100_000), c.esp(2, 3, 6, drop="replay")]
    assert_dropped(exchange.packets(sc, pkts), {"icv-failed": 1, "replay": 1})


def test_replay_after_icv_failure_of_same_number(exchange, scenario_of) -> None:
    """E7: a forged copy of sequence number 4 (bad ICV) arriving first must not mark 4 as seen:
    the genuine 4 that follows passes, and a second genuine copy drops as a replay."""
    sc = scenario_of(WINDOWS[64])
    c = Crafter(sc)
    genuine = c.esp(2, 0, 4)
    pkts = c.good_esp(1, range(1, 4)) + [
        c.esp(9, 0, 4, corrupt=Corruption(flip=EspField.ICV, index=3), drop="icv-failed"), genuine, replayed(genuine)]
    assert_dropped(exchange.packets(sc, pkts), {"icv-failed": 1, "replay": 1})


def _outbound_started_at(scenario: Scenario, start: int) -> Scenario:
    tunnels = tuple(Tunnel(t.name, dataclasses.replace(t.outbound, esn_start=start), t.inbound)
                    for t in scenario.tunnels)
    return dataclasses.replace(scenario, tunnels=tunnels, name=f"{scenario.name}-out-esn-{start}")


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-esn-w64", "tun66-aes256cbc-sha256-esn-w64"])
def test_counter_near_2_32_continues_with_esn(preset: str, exchange, scenario_of) -> None:
    """E4/E5/E2/E3: the outbound SA starts at 2^32 - 2 (cfg ``esn``): the DUT sends 2^32 - 2,
    2^32 - 1, 2^32, 2^32 + 1 (low halves ...FE, ...FF, 0, 1 on the wire, high half only in the
    ICV/AAD), one more each, no wrap to a number the receiver would take for the old epoch.
    The verifier decrypts each with the inferred high half, so a wrong one fails the ICV."""
    start = E32 - 2
    sc = _outbound_started_at(scenario_of(preset), start)
    c = Crafter(sc)
    pkts = [c.clear_out(1, k, "protect") for k in range(4)]
    ex = exchange.packets(sc, pkts)
    assert_dropped(ex, {})
    stats = ex.result.sa_invariants[c.sa_out.spi]
    assert (stats.packets, stats.first_seq, stats.last_seq, stats.gaps, stats.repeats) == (4, start, start + 3, 0, 0)
    wire = [int.from_bytes(rx.frame[14 + (20 if rx.frame[12:14] == b"\x08\x00" else 40) + 4:][:4], "big")
            for rx in ex.received if rx.port == c.unprotected]
    assert wire == [0xFFFFFFFE, 0xFFFFFFFF, 0, 1]
