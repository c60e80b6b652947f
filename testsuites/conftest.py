"""Fixtures shared by the suites on top of the harness plugin (``harness.pytest_plugin``):
scenario construction by preset name, and ``require_counters`` for checks that need the DUT's
drop counters (external DUTs may have none: those checks skip with the reason)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.scenario.presets import build_preset
from harness.scenario.scenario import Scenario


@pytest.fixture(scope="session")
def scenario_of() -> Callable[[str], Scenario]:
    """``scenario_of(name)``: the preset scenario ``name`` (e.g. ``tun44-aes128gcm-esn-w64``)."""
    return build_preset


@pytest.fixture
def require_counters(dut) -> Callable[[object], dict]:
    """``require_counters(exchange)``: the exchange's DUT counters, or skip when the DUT has none."""
    def need(ex: object) -> dict:
        counters = getattr(ex, "counters", None)
        if counters is None:
            pytest.skip(f"DUT {dut.name} reports no counters")
        return counters
    return need
