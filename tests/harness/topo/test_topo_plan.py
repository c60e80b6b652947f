"""Pure parts of the topology: names, MACs, the address plan, spec validation, quiet sysctls."""
from __future__ import annotations

import ipaddress

import pytest

from harness.topo import names
from harness.topo.names import Role, Side
from harness.topo.rig import RigSpec, Rig, plan_links, quiet_sysctls

V4_RANGE = ipaddress.ip_network("198.18.0.0/15")
V6_RANGE = ipaddress.ip_network("2001:2::/48")


@pytest.mark.parametrize("pairs", [1, 3, names.MAX_PAIRS_PER_SIDE])
def test_plan_uses_benchmarking_ranges_and_unique_values(pairs: int) -> None:
    links = plan_links(RigSpec(pairs_per_side=pairs))
    assert len(links) == 2 * pairs
    addrs = [a for l in links for a in (l.tester_ipv4, l.dut_ipv4, l.tester_ipv6, l.dut_ipv6)]
    for a in addrs:
        assert a.ip in (V4_RANGE if a.version == 4 else V6_RANGE), a
    assert len(set(addrs)) == len(addrs)
    macs = [m for l in links for m in (l.tester_mac, l.dut_mac)]
    assert len(set(macs)) == len(macs)
    for m in macs:
        first = int(m.split(":")[0], 16)
        assert first & 0b10 and not first & 0b01, f"{m} not locally administered unicast"
    ifaces = [i for l in links for i in (l.tester_iface, l.dut_iface)]
    assert len(set(ifaces)) == len(ifaces)
    assert all(len(i) <= 15 and i.startswith(names.PREFIX) for i in ifaces)


def test_default_wiring_matches_secgw_port_numbering() -> None:
    links = plan_links(RigSpec())
    assert [(l.dut_port, l.side) for l in links] == [(0, Side.UNPROTECTED), (1, Side.PROTECTED)]
    rig_ = Rig(run_id="0badc0de", tester_ns="t", dut_ns="d", links=links)
    assert rig_.unprotected_port_mask == 0x1
    assert rig_.by_dut_port(1).tester_iface == "ipxh-tp0"
    with pytest.raises(KeyError):
        rig_.by_dut_port(2)


def test_ends_of_a_link_share_a_subnet() -> None:
    for l in plan_links(RigSpec(pairs_per_side=2)):
        assert l.tester_ipv4.network == l.dut_ipv4.network
        assert l.tester_ipv6.network == l.dut_ipv6.network


def test_two_pairs_interleave_ports_and_mask() -> None:
    links = plan_links(RigSpec(pairs_per_side=2))
    rig_ = Rig(run_id="0badc0de", tester_ns="t", dut_ns="d", links=links)
    assert rig_.unprotected_port_mask == 0b0101
    assert [l.dut_iface for l in rig_.side(Side.PROTECTED)] == ["ipxh-d1", "ipxh-d3"]


@pytest.mark.parametrize(
    "kwargs, field",
    [({"pairs_per_side": 0}, "pairs_per_side"), ({"mtu": 67}, "mtu"), ({"mtu": 70000}, "mtu"),
     ({"run_id": "XYZ"}, "run id")],
)
def test_spec_rejects_bad_values_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RigSpec(**kwargs)


def test_namespace_names_round_trip() -> None:
    rid = names.new_run_id()
    for role in Role:
        ns = names.namespace_name(rid, role)
        assert ns.startswith(f"ipxh-{rid}-")
        assert names.run_id_of_namespace(ns) == rid
    assert names.run_id_of_namespace("ipxh-nothex!-dut") is None
    assert names.run_id_of_namespace("other-0badc0de-dut") is None


def test_quiet_sysctls_disable_ipv6_only_without_kernel_addresses() -> None:
    quiet = quiet_sysctls(kernel_addresses=False)
    assert quiet["net.ipv6.conf.default.disable_ipv6"] == "1"
    assert quiet["net.ipv6.conf.all.router_solicitations"] == "0"
    assert quiet_sysctls(kernel_addresses=True)["net.ipv6.conf.default.disable_ipv6"] == "0"
