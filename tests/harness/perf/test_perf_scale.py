"""Tunnel scaling: scale scenarios, traffic spread over every tunnel, the sweep over tunnel counts."""
from __future__ import annotations

import ipaddress
from collections import Counter

import pytest

from harness.dut.reference import ReferenceDut
from harness.measure.sweep import CryptoDirection
from harness.perf.offline import OfflineMeasurer
from harness.perf.scenario_ops import dut_options
from harness.perf.sweep import PerfSweep, run_offline
from harness.perf.traffic import ETH, point_stream, point_traffic
from harness.scenario import Direction, Family, PolicyAction, Scenario
from harness.scenario.presets import build_preset
from harness.scenario.scale import MAX_TUNNELS, host_pair, scale_scenario

BENCH_V4 = ipaddress.ip_network("198.18.0.0/15")


@pytest.fixture(scope="module")
def base() -> Scenario:
    return build_preset("tun44-aes128gcm")


def test_scale_layout_is_distinct_and_in_the_benchmarking_range(base):
    n = 10_000  # the sweep's largest point: every host and SPI still distinct
    s = scale_scenario(base, n)
    protect = [p for p in s.policies if p.action is PolicyAction.PROTECT]
    assert len(s.tunnels) == n and len(protect) == 2 * n
    spis = [sa.spi for sa in s.sas]
    assert len(set(spis)) == len(spis) == 2 * n
    nets = {(p.direction, p.src, p.dst) for p in protect}
    assert len(nets) == len(protect)
    assert all(p.src.prefixlen == 32 and p.src.subnet_of(BENCH_V4) and p.dst.subnet_of(BENCH_V4) for p in protect)
    assert len({sa.spec.aead_key for sa in s.sas}) == 2 * n
    last = host_pair(Family.IPV4, MAX_TUNNELS - 1)
    assert all(a in BENCH_V4 for a in last) and last[0] < ipaddress.ip_address("198.18.255.0")
    with pytest.raises(ValueError, match="tunnels must be"):
        scale_scenario(base, MAX_TUNNELS + 1)


def test_scale_is_deterministic_and_keeps_routes_aggregated(base):
    a, b = scale_scenario(base, 50), scale_scenario(base, 50)
    assert a.to_cfg() == b.to_cfg()
    assert a.routes == base.routes  # secgw LPM: at most 1024 routes per family, so no per-tunnel routes
    cfg = a.to_cfg()
    assert cfg.count("\nsa out ") == cfg.count("\nsa in ") == 50
    assert max(len(line) for line in cfg.splitlines()) < 1022  # secgw's line buffer


def test_gateway_parses_a_scaled_cfg(base):
    dut = ReferenceDut()
    s = scale_scenario(base, 200)
    dut.configure(s.to_cfg(), dut_options(s))
    assert len(dut.counters()["sa"]) == 400


@pytest.mark.parametrize("direction", list(CryptoDirection))
def test_traffic_reaches_every_tunnel_once_per_round(base, direction):
    s = scale_scenario(base, 7)
    t = point_traffic(s, direction, 64, 20)  # rounded up to 21: three frames per tunnel
    assert len(t.frames) == len(t.keys) == 21 and t.per_tunnel == 3
    assert len(set(t.keys)) == 21
    dut = ReferenceDut()
    dut.configure(s.to_cfg(), dut_options(s))
    dut.send(t.in_port, t.frames)
    out = dut.collect()
    assert {f.port for f in out} == {t.out_port}
    assert sorted(t.read_key(f.frame) for f in out) == sorted(t.keys)
    sa = dut.counters()["sa"]
    used = Counter({k: v["packets"] for k, v in sa.items() if v["packets"]})
    want_dir = "out" if direction is CryptoDirection.ENCRYPT else "in"
    assert len(used) == 7 and set(used.values()) == {3} and all(k.startswith(want_dir) for k in used)


def test_encrypt_stream_is_one_stream_varying_inner_addresses(base):
    s = scale_scenario(base, 5)
    spec = point_stream(s, CryptoDirection.ENCRYPT, 64, 10)
    assert [v.field.value for v in spec.variations] == ["src", "dst"]
    t = point_traffic(s, CryptoDirection.ENCRYPT, 64, 10)
    dsts = [str(ipaddress.ip_address(f[ETH + 16:ETH + 20])) for f in t.frames[:5]]
    assert dsts == [str(p.dst.network_address) for p in s.policies[:10] if p.direction is Direction.OUT]


def test_foreign_spi_gives_no_key(base):
    s = scale_scenario(base, 3)
    t = point_traffic(s, CryptoDirection.ENCRYPT, 64, 3)
    other = point_traffic(scale_scenario(build_preset("tun44-aes256gcm"), 3), CryptoDirection.DECRYPT, 64, 3)
    assert t.read_key(other.frames[0]) is None  # inbound SPIs are not outbound ones


def test_sweep_over_tunnel_counts(base):
    sweep = PerfSweep(frame_sizes=(64,), placements=(PerfSweep().placements[0],), tunnels=(1, 10, 100),
                      trial_duration_s=0.01, offered_load_pps=20_000, max_frames=150)
    rows = [m for ms, _ in run_offline(sweep, ReferenceDut()) for m in ms if m.name == "loss_ratio"]
    tunnels = sorted(dict(m.params)["tunnels"] for m in rows)
    assert tunnels == [1, 1, 10, 10, 100, 100] and all(m.value == 0 for m in rows)
    # 150 frames asked; 100 tunnels round up to 200 frames (two per tunnel): counted, none lost
    m = OfflineMeasurer(ReferenceDut(), scale_scenario(base, 100), CryptoDirection.DECRYPT, 64, max_frames=150)
    r = m.measure(0.01, 20_000)
    assert (r.offered, r.forwarded) == (200, 200)


def test_scaled_scenario_is_a_plain_scenario_with_every_sa_found_by_spi(base):
    s = scale_scenario(base, 300)
    assert type(s) is Scenario
    for k in (0, 1, 299):
        out, inn = s.sa(Direction.OUT, 0x10000 + k), s.sa(Direction.IN, 0x20000 + k)
        assert out is s.tunnels[k].outbound and inn is s.tunnels[k].inbound
    assert s.sa(Direction.IN, 0x10000) is None and s.sa(Direction.OUT, 0x10000 + 300) is None
    assert Scenario.from_json(s.to_json()) == s
