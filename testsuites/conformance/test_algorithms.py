"""Every secgw algorithm keyword through every layout, both directions.

Layouts: tunnel 4in4, 6in6, 4in6, 6in4 and transport IPv4/IPv6. Inbound IPv6 packets carry
hop-by-hop, routing and destination-options headers; outbound transport ESP after extension
headers has its own test in ``test_forwarding.py`` (the verifier still misjudges it, see there).
Outbound: clear packets into the protected port must leave encrypted on the unprotected port;
inbound: ESP from the peer must leave decrypted on the protected port. DES and SM4 run under
the legacy engine only (secgw-reference.md §0); everything else under the library engine.
"""
from __future__ import annotations

import pytest

from harness.scenario.presets import LAYOUTS, LEGACY_MATRIX_ALGOS, MATRIX_ALGOS
from testsuites.conformance.traffic import inbound, outbound

pytestmark = pytest.mark.conformance

COUNT = 16
PRESETS = [f"{lay}-{alg}" for lay in LAYOUTS for alg in MATRIX_ALGOS]
PRESETS += [f"{lay}-{alg}-legacy" for lay in LAYOUTS for alg in LEGACY_MATRIX_ALGOS]
CASES = [pytest.param(name, direction, id=f"{name}-{direction}") for name in PRESETS for direction in ("out", "in")]


@pytest.mark.parametrize(("preset", "direction"), CASES)
def test_algorithm_layout_direction(preset: str, direction: str, exchange, assert_conformant, scenario_of) -> None:
    """Outbound: A6 tunnel header, E1 SPI, E2 first sequence 1, E3 +1 per packet, E10 pad bytes
    1,2,3..., E11 alignment, ESP-NH next header, the algorithm's ICV/AAD/nonce rules (G1-G9)
    checked by decrypting with the harness codec. Inbound: E9 ICV verified, X-INTACT inner packet
    delivered unchanged but for the profile's TTL rule, SG-L2 Ethernet header, A1 policy."""
    scenario = scenario_of(preset)
    stream = outbound(scenario, 1, COUNT, ext=False) if direction == "out" else inbound(scenario, 1, COUNT)
    ex = exchange(scenario, [stream])
    assert_conformant(ex)
    kind = "Encrypt" if direction == "out" else "Decrypt"
    assert ex.result.expected_kinds == {kind: COUNT}
    assert ex.result.correlation.totals().delivered == COUNT
