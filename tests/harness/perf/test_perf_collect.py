"""``collect_counted``: late frames are waited for, stale ones discarded (a scripted DUT whose
output arrives in pieces, as a DUT starved of CPU emits it)."""
from __future__ import annotations

from harness.dut.base import ReceivedFrame
from harness.perf.live import collect_counted

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


def read_key(frame: bytes) -> tuple[int, int]:
    return 1, frame[0]


KEYS = [(1, s) for s in range(10)]


def test_late_frames_are_waited_for_and_stale_ones_discarded() -> None:
    dut = PiecewiseDut([_frames(range(0, 4), SINCE + 5) + _frames(range(7, 9), SINCE - 1),  # 7, 8: an earlier trial's
                        _frames(range(4, 8), SINCE + 9), _frames(range(8, 10), SINCE + 9)])
    got = collect_counted(dut, KEYS, 0, read_key, SINCE)  # type: ignore[arg-type]
    assert (got.counts.forwarded, got.counts.lost, got.counts.unexpected) == (10, 0, 0)
    assert got.stale == 2 and got.late_collects == 2 and dut.collects == 3  # stops once nothing is missing


def test_a_real_loss_ends_the_wait_at_the_first_empty_collect() -> None:
    dut = PiecewiseDut([_frames(range(0, 6), SINCE + 5)])
    got = collect_counted(dut, KEYS, 0, read_key, SINCE)  # type: ignore[arg-type]
    assert (got.counts.forwarded, got.counts.lost) == (6, 4)
    assert got.late_collects == 0 and dut.collects == 2
