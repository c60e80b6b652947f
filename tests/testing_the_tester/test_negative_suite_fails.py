"""Testing the tester, negative suite: the suite's own check (``assert_dropped``) fails when the
DUT lets a bad packet through, loses a good one around it, or counts a drop under the wrong
reason. The misbehaving DUTs are the reference gateway wrapped by ``FaultyDut`` (a decrypted
packet emitted twice is exactly what a DUT that accepted a replay sends) or by a counter-
renaming wrapper defined here."""
from __future__ import annotations

from collections.abc import Sequence

import pytest

from harness.dut.base import Dut, DutOptions, ReceivedFrame
from harness.dut.faults import Fault, FaultKind, FaultyDut, Target
from harness.dut.reference import ReferenceDut
from harness.exchange import send_packets
from harness.scenario.presets import build_preset
from testsuites.negative.craft import Crafter, assert_dropped

PRESET = "tun44-aes128gcm-w64"


class MiscountingDut:
    """Counts every drop of reason ``wrong`` under ``instead``."""

    def __init__(self, inner: Dut, wrong: str, instead: str) -> None:
        self.inner, self.wrong, self.instead = inner, wrong, instead
        self.name = f"{inner.name}+miscounting"
        self.min_frame_len = inner.min_frame_len

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        self.inner.configure(cfg_text, options)

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        self.inner.send(port, frames)

    def collect(self) -> list[ReceivedFrame]:
        return self.inner.collect()

    def counters(self) -> dict | None:
        counters = self.inner.counters()
        assert counters is not None
        drops = dict(counters["drops"])
        if self.wrong in drops:
            drops[self.instead] = drops.get(self.instead, 0) + drops.pop(self.wrong)
        return {**counters, "drops": drops}

    def close(self) -> None:
        self.inner.close()


def _replay_case() -> tuple:
    """Three good ESP packets, each replayed once right after it (E6), then clear traffic."""
    sc = build_preset(PRESET)
    c = Crafter(sc)
    pkts = []
    for p in c.good_esp(1, range(1, 4)):
        pkts += [p, p._replace(expect_drop="replay")]
    return sc, pkts + c.good_mix(2, 1)


def test_clean_reference_passes_the_replay_case() -> None:
    sc, pkts = _replay_case()
    assert_dropped(send_packets(ReferenceDut(), sc, pkts), {"replay": 3})


def test_accepted_replay_fails_e6() -> None:
    """A DUT that forwards a replayed packet (emulated: the decrypted copy emitted twice)."""
    sc, pkts = _replay_case()
    dut = FaultyDut(ReferenceDut(), Fault(FaultKind.DUPLICATE, index=1, target=Target.CLEAR))
    ex = send_packets(dut, sc, pkts)
    assert dut.applied == 1
    assert ("E6", "delivery") in {(f.requirement, f.field) for f in ex.result.findings}
    with pytest.raises(AssertionError):
        assert_dropped(ex, {"replay": 3})


def test_lost_good_packet_around_bad_ones_fails() -> None:
    sc, pkts = _replay_case()
    ex = send_packets(FaultyDut(ReferenceDut(), Fault(FaultKind.DROP_ONE, index=2, target=Target.CLEAR)), sc, pkts)
    assert ("X-DELIVERY", "delivery") in {(f.requirement, f.field) for f in ex.result.findings}
    with pytest.raises(AssertionError):
        assert_dropped(ex, {"replay": 3})


def test_drop_counted_under_wrong_reason_fails_a14() -> None:
    sc, pkts = _replay_case()
    ex = send_packets(MiscountingDut(ReferenceDut(), "replay", "icv-failed"), sc, pkts)
    assert {(f.requirement, f.field) for f in ex.result.findings} >= {("A14", "counter.replay"),
                                                                         ("A14", "counter.icv-failed")}
    with pytest.raises(AssertionError):
        assert_dropped(ex, {"replay": 3})
