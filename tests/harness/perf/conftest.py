"""Fixtures shared by the live performance tests."""
from __future__ import annotations

import pytest

from harness.topo.require import require_netns


@pytest.fixture(scope="module")
def live_dut():
    """The reference gateway live in a fresh rig (root only; skips with the reason otherwise)."""
    require_netns()
    from harness.dut.reference_live import ReferenceLiveDut  # noqa: PLC0415 - needs root to construct
    dut = ReferenceLiveDut()
    try:
        yield dut
    finally:
        dut.close()
