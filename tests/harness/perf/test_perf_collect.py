"""``collect_counted``: late frames are waited for, stale ones discarded (a scripted DUT whose
output arrives in pieces, as a DUT starved of CPU emits it)."""
from __future__ import annotations

from harness.dut.base import ReceivedFrame
from harness.perf.live import LATE_QUIET_S, collect_counted

SINCE = 1_000_000


class PiecewiseDut:
    """Hands out one prepared list of frames per collect, then nothing."""

    def __init__(self, pieces: list[list[ReceivedFrame]]) -> None:
        self.pieces = pieces
        self.collects = 0

    def collect(self) -> list[ReceivedFrame]:
        self.collects += 1
        return self.pieces.pop(0) if self.pieces else []


def _frames(seqs: range, ts: int) -> list[ReceivedFrame]:
    return [ReceivedFrame(0, ts, bytes([s])) for s in seqs]


class Ticks:
    """A clock that moves ``step`` seconds per reading (a real collect takes its quiet time)."""

    def __init__(self, step: float) -> None:
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def read_key(frame: bytes) -> tuple[int, int]:
    return 1, frame[0]


KEYS = [(1, s) for s in range(10)]


def test_late_frames_are_waited_for_and_stale_ones_discarded() -> None:
    dut = PiecewiseDut([_frames(range(0, 4), SINCE + 5) + _frames(range(7, 9), SINCE - 1),  # 7, 8: an earlier trial's
                        _frames(range(4, 8), SINCE + 9), _frames(range(8, 10), SINCE + 9)])
    got = collect_counted(dut, KEYS, 0, read_key, SINCE, Ticks(0.15))  # type: ignore[arg-type]
    assert (got.counts.forwarded, got.counts.lost, got.counts.unexpected) == (10, 0, 0)
    assert got.stale == 2 and got.late_collects == 2 and dut.collects == 3  # stops once nothing is missing


def test_a_real_loss_ends_the_wait_after_the_quiet_time() -> None:
    dut = PiecewiseDut([_frames(range(0, 6), SINCE + 5)])
    step = LATE_QUIET_S / 3
    got = collect_counted(dut, KEYS, 0, read_key, SINCE, Ticks(step))  # type: ignore[arg-type]
    assert (got.counts.forwarded, got.counts.lost) == (6, 4)
    assert got.late_collects == 0 and dut.collects == 1 + 3  # empty collects until LATE_QUIET_S passed


def test_a_trickle_is_waited_for_at_most_the_grace_time() -> None:
    pieces = [_frames(range(k, k + 1), SINCE + 5) for k in range(9)]  # one frame per collect, the last never
    dut = PiecewiseDut(pieces)
    got = collect_counted(dut, KEYS, 0, read_key, SINCE, Ticks(0.3))  # type: ignore[arg-type]
    assert got.counts.forwarded < 9 and dut.collects <= 8  # cut by LATE_GRACE_S (2 s) at 0.3 s a collect
