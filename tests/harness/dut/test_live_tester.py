"""``LiveTester``'s settle rule (no interfaces needed: a tester with no ports)."""
from __future__ import annotations

import pytest

from harness.dut.live_tester import DRAIN_FACTOR, LiveTester


def test_quiet_time_grows_with_the_drain_tail() -> None:
    tester = LiveTester([], settle_s=0.15)
    sent = tester._last_send  # noqa: SLF001 - the rule is relative to the last send
    assert tester.quiet_time(sent) == pytest.approx(0.15)
    assert tester.quiet_time(sent + 0.2) == pytest.approx(0.15)  # a short tail: the floor holds
    assert tester.quiet_time(sent + 1.0) == pytest.approx(DRAIN_FACTOR * 1.0)  # a deep backlog drained for 1 s


def test_collect_without_ports_returns_nothing_within_the_bound() -> None:
    tester = LiveTester([], settle_s=0.01, max_wait_s=0.5)
    assert tester.collect() == []
