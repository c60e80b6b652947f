"""Crypto placement is wiring, not behaviour (DESIGN.md "Decisions"; secgw-reference.md §3.10):
the same traffic through an SA of type no-offload (lookaside), cpu-crypto, inline-crypto-offload
and inline-protocol-offload must give the same verdict, the same findings and byte-identical
output on every port.
"""
from __future__ import annotations

import pytest

from harness.scenario.model import SaType
from testsuites.conformance.traffic import inbound, outbound, with_sa_type

pytestmark = pytest.mark.conformance

PRESETS = ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64", "tun46-chacha20", "tun64-aes128ctr-sha1",
           "tun44-null-gmac", "tun44-aes128cbc-xcbc"]


def _findings(ex) -> list[tuple[str, str, str, str]]:
    return sorted((f.severity.value, f.requirement, f.field, str(f.packet)) for f in ex.result.findings)


@pytest.mark.parametrize("preset", PRESETS)
def test_same_traffic_every_placement(preset: str, exchange, assert_conformant, scenario_of) -> None:
    """Every requirement the exchange exercises (A1, A6, E1-E3, E9-E11, ICV rules), once per SA
    type, plus identity across the four types of verdict, findings and output bytes."""
    base = scenario_of(preset)
    results = {}
    for sa_type in SaType:
        sc = with_sa_type(base, sa_type)
        ex = exchange(sc, [outbound(sc, 1, 16), inbound(sc, 2, 16), outbound(sc, 3, 4, "discard")])
        assert_conformant(ex)
        results[sa_type] = ex
    ref = results[SaType.NO_OFFLOAD]
    for sa_type, ex in results.items():
        assert ex.result.expected_kinds == {"Encrypt": 16, "Decrypt": 16, "Drop": 4}, sa_type
        assert _findings(ex) == _findings(ref), sa_type
        assert ex.by_port() == ref.by_port(), f"{sa_type.value} output differs from no-offload"
