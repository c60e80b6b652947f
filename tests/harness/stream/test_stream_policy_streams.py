"""policy_streams: one stream per SP rule, aimed inside the rule, ESP for inbound protect."""
from __future__ import annotations

import ipaddress

import pytest
from scapy.layers.inet import IP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP
from scapy.layers.l2 import Ether

from harness.scenario import Direction, get_preset
from harness.stream import PacketKind, build_packets, find_signature, policy_streams


@pytest.mark.parametrize("preset", ["tun44-aes128gcm", "tun64-aes128cbc-sha256", "trs6-chacha20"])
def test_one_stream_per_policy_inside_the_rule(preset: str) -> None:
    scenario = get_preset(preset)
    streams = policy_streams(scenario, 3)
    assert len(streams) == len(scenario.policies) == 6
    for pol, (name, spec) in zip(scenario.policies, streams.items()):
        assert name == f"{pol.action.value}-{pol.direction.value}-v{pol.family.value}"
        assert spec.port == (0 if pol.direction is Direction.IN else 1)
        packets = build_packets(spec, scenario)
        assert len(packets) == 3
        encrypted = pol.direction is Direction.IN and pol.action.value == "protect"
        assert all(p.kind is (PacketKind.ESP if encrypted else PacketKind.CLEAR) for p in packets)
        if encrypted:
            assert Ether(packets[0].frame)[ESP].spi == pol.spi
            continue
        l3 = packets[0].frame[14:]
        ip = Ether(packets[0].frame)[IP if pol.family.value == 4 else IPv6]
        assert pol.src is not None and pol.dst is not None
        assert ipaddress.ip_address(ip.src) in pol.src and ipaddress.ip_address(ip.dst) in pol.dst
        assert find_signature(l3).stream_id == spec.stream_id  # type: ignore[union-attr]
