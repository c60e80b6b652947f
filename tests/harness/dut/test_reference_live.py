"""``--dut reference-live`` end to end (root): a preset scenario with the rig's MACs, harness-built
streams (protect / bypass / discard out, ESP in), judged by the harness verifier; counters;
bad cfg; and no namespace left behind, also when the test body fails."""
from __future__ import annotations

import dataclasses
import ipaddress
import os
import signal

import pytest

from harness.dut.base import DutFailed, DutOptions, DutUnavailable
from harness.dut.reference_live import ReferenceLiveDut
from harness.scenario.cfg_writer import write_cfg
from harness.scenario.model import Direction, Neighbour, Port, PortRole
from harness.scenario.presets import FLOWS, build_preset
from harness.scenario.scenario import Scenario
from harness.stream.builder import build_packets
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import HeaderTemplate
from harness.topo.ipcmd import list_namespaces
from harness.topo.names import PREFIX
from harness.topo.require import require_netns
from harness.verify.profiles import SECGW_LIBRARY
from harness.verify.verdict import verify

pytestmark = pytest.mark.live


def _mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def scenario_on(dut: ReferenceLiveDut, name: str) -> Scenario:
    """Preset ``name`` with the rig's MACs (the live gateway's source MAC is its interface's)."""
    sc = build_preset(name)
    ports = tuple(Port(p.id, p.role, _mac(dut.lab.port(p.id).dut_mac or ""), _mac(dut.lab.port(p.id).tester_mac or ""))
                  for p in sc.ports)
    return dataclasses.replace(sc, ports=ports, neighbours=tuple(Neighbour(p.id, p.tester_mac) for p in ports))


def options_of(sc: Scenario) -> DutOptions:
    return DutOptions(unprotected_ports=frozenset(p.id for p in sc.ports if p.role is PortRole.UNPROTECTED),
                      replay_window=sc.options.replay_window, esn=sc.options.esn, engine=sc.options.engine.value)


def streams(sc: Scenario, count: int) -> list:
    host = lambda prefix, n: str(ipaddress.ip_network(prefix)[n])  # noqa: E731
    inner = next(sa.inner_family for sa in sc.sas)
    flows = FLOWS[inner]
    in_sa = next(sa for sa in sc.sas if sa.direction is Direction.IN)
    specs = [StreamSpec(sid, HeaderTemplate(host(flows[p][0], 5), host(flows[p][1], 9)), count=count, port=1)
             for sid, p in enumerate(("protect", "bypass", "discard"), start=1)]
    prot, remote = flows["protect"]
    specs.append(StreamSpec(10, HeaderTemplate(host(remote, 9), host(prot, 5)), count=count, port=0,
                            esp=EspStreamSpec(in_sa.spec)))
    return [p for s in specs for p in build_packets(s, sc)]


def _our_namespaces() -> set[str]:
    return {ns for ns in list_namespaces() if ns.startswith(PREFIX)}


@pytest.fixture
def live_dut():
    require_netns()
    before = _our_namespaces()
    dut = ReferenceLiveDut()
    try:
        yield dut
    finally:
        dut.close()
        assert _our_namespaces() <= before, "reference-live left namespaces behind"


@pytest.mark.parametrize("name", ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64"])
def test_scenario_passes_through_live_gateway(live_dut: ReferenceLiveDut, name: str) -> None:
    sc = scenario_on(live_dut, name)
    live_dut.configure(write_cfg(sc), options_of(sc))
    pkts = streams(sc, 20)
    for port in (1, 0):
        live_dut.send(port, [p.frame for p in pkts if p.port == port])
    got = live_dut.collect()
    received: dict[int, list[tuple[int, bytes]]] = {}
    for f in got:
        received.setdefault(f.port, []).append((f.ts_ns, f.frame))
    assert all(f.ts_ns > 1_600_000_000 * 10**9 for f in got), "kernel CLOCK_REALTIME stamps"
    result = verify(sc, pkts, received, SECGW_LIBRARY)
    assert result.passed, result.render()
    counters = live_dut.counters()
    assert counters is not None
    assert (counters["rx"], counters["tx"]) == (80, 60)
    assert counters["drops"] == {"sp-discard": 20}
    assert live_dut.stop_gateway() == 0
    assert live_dut.final_counters is not None and live_dut.final_counters["rx"] == 80


def test_reconfigure_and_bad_cfg(live_dut: ReferenceLiveDut) -> None:
    sc = scenario_on(live_dut, "tun44-aes128gcm")
    with pytest.raises(ValueError, match=r"dut\.cfg:1:10: error: unrecognized sa option 'nonsense'"):
        live_dut.configure("sa out 5 nonsense\n", options_of(sc))
    live_dut.configure(write_cfg(sc), options_of(sc))
    pkts = [p for p in streams(sc, 5) if p.port == 1]
    live_dut.send(1, [p.frame for p in pkts])
    assert len(live_dut.collect()) == 10  # protect + bypass forwarded, discard dropped


def test_a_dead_gateway_is_reported_not_counted_as_loss(live_dut: ReferenceLiveDut) -> None:
    sc = scenario_on(live_dut, "tun44-aes128gcm")
    live_dut.configure(write_cfg(sc), options_of(sc))
    os.kill(live_dut._external._process.proc.pid, signal.SIGKILL)  # noqa: SLF001 - the crash under test
    live_dut.send(1, [p.frame for p in streams(sc, 2) if p.port == 1])
    with pytest.raises(DutFailed, match=r"the DUT exited mid-run \(status -9\)"):
        live_dut.collect()
    live_dut.configure(write_cfg(sc), options_of(sc))  # a fresh start works again
    live_dut.send(1, [p.frame for p in streams(sc, 2) if p.port == 1])
    assert len(live_dut.collect()) == 4


def test_no_namespaces_left_when_the_body_fails() -> None:
    require_netns()
    before = _our_namespaces()
    with pytest.raises(ZeroDivisionError):
        dut = ReferenceLiveDut()
        try:
            assert _our_namespaces() > before
            1 / 0  # noqa: B018 - the failure under test
        finally:
            dut.close()
    assert _our_namespaces() <= before


def test_unavailable_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.dut.reference_live.netns_missing", lambda: "needs root (CAP_NET_ADMIN)")
    with pytest.raises(DutUnavailable, match="needs root and network namespaces: needs root"):
        ReferenceLiveDut()
