"""TX limits (secgw-reference.md 2 and 3.8): ``--mtu`` drops longer L3 packets (no reassembly),
a route to a port that is not enabled (``-p``) drops; the checks secgw makes at start-up;
``Gateway.pending``."""
from __future__ import annotations

import threading

import pytest

from gwdp_helpers import PORT0_NEIGH, cfg_text, esp_frame, frame, run_all, udp
from gateway_ref.crypto.placement_lookaside import run_jobs
from gateway_ref.gateway import Gateway, GatewayOptionError

ESP_OVERHEAD_GCM4 = 20 + 8 + 8 + 16  # outer IPv4, ESP header, IV, ICV (+ 2..5 trailer bytes)
TYPES_ALL = ["type cpu-crypto", "type no-offload", "type lookaside-protocol-offload port_id 0",
             "type inline-crypto-offload port_id 0", "type inline-protocol-offload port_id 0"]


@pytest.mark.parametrize("sa_type", TYPES_ALL)
def test_mtu_drops_what_encryption_makes_too_long(make_gw, sa_type: str) -> None:
    inner_len = 28 + 60  # IPv4 + UDP + 60 bytes
    gw = make_gw(cfg_text(sa_type), mtu=inner_len + ESP_OVERHEAD_GCM4)  # the ESP packet needs 2..5 more
    fits = frame(udp("198.18.1.5", "198.19.1.7", size=59 - 4))  # 4 bytes shorter: the trailer fits
    too_long = frame(udp("198.18.1.5", "198.19.1.7", size=60))
    clear_ok = frame(udp("198.18.1.5", "198.19.100.7", size=60))  # bypass: 88 bytes fit
    out = run_all(gw, 1, [fits, too_long, clear_ok])
    assert len(out[0]) == 2
    c = gw.counters()
    assert c["drops"] == {"mtu-exceeded": 1} and c["drops_by_node"] == {"tx": {"mtu-exceeded": 1}}


def test_mtu_applies_to_decrypted_and_clear_packets_too(make_gw) -> None:
    gw = make_gw(mtu=100)
    big = esp_frame(2001, udp("198.19.1.7", "198.18.1.5", size=100), 1)  # inner 128 bytes
    small = esp_frame(2001, udp("198.19.1.7", "198.18.1.5", size=50), 2)  # inner 78 bytes
    clear = frame(udp("198.19.100.7", "198.18.1.5", size=100), PORT0_NEIGH)  # bypass, 128 bytes
    out = run_all(gw, 0, [big, small, clear])
    assert len(out[1]) == 1 and gw.counters()["drops"] == {"mtu-exceeded": 2}


def test_no_mtu_by_default_in_process(make_gw) -> None:
    gw = make_gw()
    out = run_all(gw, 1, [frame(udp("198.18.1.5", "198.19.1.7", size=1472))])  # 1500-byte inner
    assert len(out[0]) == 1 and len(out[0][0]) > 1514


def test_route_to_a_port_not_enabled_is_dropped(make_gw) -> None:
    gw = make_gw(enabled_ports=frozenset({0}))  # routes name port 1 too
    out = run_all(gw, 0, [esp_frame(2001, udp("198.19.1.7", "198.18.1.5"), 1),
                          frame(udp("198.19.100.7", "198.18.1.5"), PORT0_NEIGH)])
    assert out == {}
    c = gw.counters()
    assert c["drops"] == {"no-tx-port": 2} and c["ports"]["0"]["rx"] == 2
    assert "no-tx-port" in gw.node_drop_reasons()["tx"]


def test_enabled_ports_must_include_the_unprotected_ones() -> None:
    with pytest.raises(GatewayOptionError, match=r"unprotected ports \[0\] are not among the enabled ports \[1\]"):
        Gateway.from_cfg_text(cfg_text(), enabled_ports=frozenset({1}))


def test_unprotected_mask_needs_an_inbound_sa() -> None:
    out_only = "\n".join(line for line in cfg_text().splitlines()
                         if not line.startswith(("sa in", "sp ipv4 in", "sp ipv6 in")))
    with pytest.raises(GatewayOptionError, match="Cannot use unprotected portmask without configured SA inbound"):
        Gateway.from_cfg_text(out_only)
    Gateway.from_cfg_text(out_only, unprotected_ports=frozenset()).close()  # no -u: accepted


@pytest.mark.parametrize("mtu", [0, 65536])
def test_mtu_out_of_range_is_refused(mtu: int) -> None:
    with pytest.raises(GatewayOptionError, match=f"mtu must be 1..65535, got {mtu}"):
        Gateway.from_cfg_text(cfg_text(), mtu=mtu)


def test_pending_counts_lookaside_ops_in_flight(make_gw) -> None:
    gate = threading.Event()

    def runner(jobs) -> None:
        gate.wait(10)
        run_jobs(jobs)

    gw = make_gw(cfg_text("type no-offload"), lookaside_runner=runner)
    assert gw.pending == 0
    frames = [frame(udp("198.18.1.5", "198.19.1.7", n)) for n in range(3)]
    assert gw.process(1, frames) == {}
    assert gw.pending == 3 and gw.counters()["pending"] == 3
    gate.set()
    assert len(gw.flush()[0]) == 3 and gw.pending == 0
