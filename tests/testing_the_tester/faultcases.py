"""Shared traffic for the testing-the-tester cases: a preset scenario and three streams
(outbound protect and bypass from the protected port, inbound ESP from the peer), frames of
130 bytes so GCM/CBC packets carry pad bytes, inner TOS 0x2A (DSCP 10, ECT(0)) so DSCP and ECN
copying is visible. Addresses are the presets' (198.18.0.0/15, 2001:2::/48)."""
from __future__ import annotations

import ipaddress

from harness.dut.base import Dut
from harness.exchange import Exchange, run_exchange
from harness.scenario.model import Direction
from harness.scenario.presets import FLOWS, build_preset
from harness.stream.sizes import SizeSpec
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import HeaderTemplate
from harness.verify.findings import Severity
from harness.verify.profiles import Profile

FRAME_SIZE = 130
PACKETS = 6


def _host(prefix: str, n: int) -> str:
    return str(ipaddress.ip_network(prefix)[n])


def streams(preset: str) -> list[StreamSpec]:
    sc = build_preset(preset)
    flows = FLOWS[sc.sas[0].inner_family]
    (prot, remote), (bprot, bremote) = flows["protect"], flows["bypass"]
    in_sa = next(sa for sa in sc.sas if sa.direction is Direction.IN)
    size = SizeSpec.fixed(FRAME_SIZE)
    return [
        StreamSpec(1, HeaderTemplate(_host(prot, 5), _host(remote, 9), tos=0x2A), PACKETS, size, port=1),
        StreamSpec(2, HeaderTemplate(_host(bprot, 5), _host(bremote, 9), tos=0x2A), PACKETS // 2, size, port=1),
        StreamSpec(3, HeaderTemplate(_host(remote, 9), _host(prot, 5), tos=0x2A), PACKETS, size, port=0,
                   esp=EspStreamSpec(in_sa.spec)),
    ]


def run(dut: Dut, preset: str, profile: str | Profile = "secgw-library") -> Exchange:
    return run_exchange(dut, build_preset(preset), streams(preset), profile=profile)


def finding_keys(ex: Exchange, severity: Severity | None = None) -> set[tuple[str, str, str]]:
    """(severity, requirement, field) of every finding of ``ex``."""
    return {(f.severity.value, f.requirement, f.field) for f in ex.result.findings
            if severity is None or f.severity is severity}
