"""harness.exchange against the in-process reference gateway and small misbehaving wrappers
of it: verdicts, counter deltas, expected-drop annotations, bounds, profiles, lab MACs, oracle.
Addresses only from 198.18.0.0/15 and 2001:2::/48 (the presets')."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from harness.codec.esp_encode import EspEncoder
from harness.dut.base import ReceivedFrame
from harness.dut.reference import ReferenceDut
from harness.exchange import (AnnotationMismatch, CraftedPacket, dut_options, resolve_profile, run_exchange,
                              scenario_for_dut, send_packets, with_oracle)
from harness.oracles.tshark_oracle import tshark_path
from harness.scenario.model import Direction
from harness.scenario.presets import build_preset
from harness.stream.builder import build_frames
from harness.stream.policy_streams import policy_streams
from harness.stream.sizes import SizeSpec
from harness.stream.spec import StreamSpec
from harness.stream.template import HeaderTemplate


class CorruptEgress:
    """Wraps a DUT and flips the last byte (ICV) of every frame it emits on ``port``."""

    def __init__(self, inner: ReferenceDut, port: int) -> None:
        self.inner, self.port, self.name = inner, port, "corrupt-egress"

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def collect(self) -> list[ReceivedFrame]:
        return [ReceivedFrame(rx.port, rx.ts_ns, rx.frame[:-1] + bytes([rx.frame[-1] ^ 1]))
                if rx.port == self.port else rx for rx in self.inner.collect()]


@pytest.fixture
def ref():
    dut = ReferenceDut()
    yield dut
    dut.close()


def _streams(sc, count=8):
    return list(policy_streams(sc, count).values())


def test_reference_passes_policy_streams(ref) -> None:
    sc = build_preset("tun44-aes128gcm-w64")
    ex = run_exchange(ref, sc, _streams(sc))
    assert ex.passed, ex.render()
    assert len(ex.sent) == 6 * 8
    assert ex.result.expected_kinds == {"Encrypt": 8, "Decrypt": 8, "ForwardClear": 16, "Drop": 16}
    assert ex.counters["drops"] == {"sp-discard": 16}
    assert sorted(ex.by_port()) == [0, 1]
    params = ex.params()
    assert params["scenario"] == "tun44-aes128gcm-w64" and params["replay_window"] == 64
    assert params["algorithm"] == sc.sas[0].spec.algorithm_label and params["profile"] == "secgw-library"
    assert len(params["scenario_cfg_sha256"]) == 64


def test_corrupted_egress_fails_with_icv_finding(ref) -> None:
    sc = build_preset("tun44-aes128gcm")
    ex = run_exchange(CorruptEgress(ref, 0), sc, _streams(sc))
    assert not ex.passed
    assert "G1" in ex.result.requirements_failed or "E9" in ex.result.requirements_failed \
        or "X-INTACT" in ex.result.requirements_failed, ex.render()
    assert "FAIL" in ex.render()


def test_second_exchange_without_configure_reports_counter_delta(ref) -> None:
    sc = build_preset("tun44-aes128gcm-w64")
    run_exchange(ref, sc, _streams(sc, 4))
    discard = [s for s in _streams(sc, 4) if s.name.startswith("discard-out")]
    ex = run_exchange(ref, sc, [dataclasses.replace(s, stream_id=40) for s in discard], configure=False)
    assert ex.counters["drops"] == {"sp-discard": 4}
    assert ex.passed, ex.render()


def test_second_exchange_continues_sequence_numbers(ref) -> None:
    """configure=False keeps SA state: the DUT's outbound sequence goes on at 9, which the
    verifier (knowing only this exchange) reports as an E2 first-sequence violation."""
    sc = build_preset("tun44-aes128gcm")
    out = [s for s in _streams(sc) if s.name == "protect-out-v4"]
    assert run_exchange(ref, sc, out).passed
    again = run_exchange(ref, sc, out, configure=False)
    assert "E2" in again.result.requirements_failed


def _crafted(sc, corrupt: bool, expect_drop: str | None) -> list[CraftedPacket]:
    in_sa = next(sa for sa in sc.sas if sa.direction is Direction.IN)
    clear = StreamSpec(7, HeaderTemplate("198.19.1.9", "198.18.1.5"), 2, SizeSpec.fixed(128), port=0)
    out = []
    for k, frame in enumerate(build_frames(clear, sc)):
        esp = bytearray(EspEncoder(in_sa.spec).encode(frame[14:], k + 1))
        if corrupt:
            esp[-1] ^= 0xFF
        out.append(CraftedPacket(7, k, 0, frame[:14] + bytes(esp), expect_drop))
    return out


def test_crafted_packets_with_expected_drop(ref) -> None:
    sc = build_preset("tun44-aes128gcm")
    ex = send_packets(ref, sc, _crafted(sc, corrupt=True, expect_drop="icv-failed"))
    assert ex.passed, ex.render()
    assert ex.result.expected_drops == {"icv-failed": 2}
    assert ex.counters["drops"] == {"icv-failed": 2}
    assert ex.received == ()


def test_annotation_disagreeing_with_model_is_an_error(ref) -> None:
    sc = build_preset("tun44-aes128gcm")
    with pytest.raises(AnnotationMismatch, match="model says Decrypt"):
        send_packets(ref, sc, _crafted(sc, corrupt=False, expect_drop="icv-failed"))
    with pytest.raises(AnnotationMismatch, match="not a drop reason"):
        send_packets(ref, sc, _crafted(sc, corrupt=True, expect_drop="bad-icv"))


def test_forwarding_an_expected_drop_fails(ref) -> None:
    """A DUT that decrypts what should be dropped: absence on the wire is checked."""
    sc = build_preset("tun44-aes128gcm")
    good = _crafted(sc, corrupt=False, expect_drop=None)

    class Leaky:
        name = "leaky"

        def __getattr__(self, attr):
            return getattr(ref, attr)

        def send(self, port, frames):
            ref.send(port, [good[0].frame, good[1].frame])

    ex = send_packets(Leaky(), sc, _crafted(sc, corrupt=True, expect_drop="icv-failed"))
    assert not ex.passed
    assert "E9" in ex.result.requirements_failed or "A14" in ex.result.requirements_failed


def test_deadline_truncates_and_fails(ref) -> None:
    sc = build_preset("tun44-aes128gcm")
    ex = run_exchange(ref, sc, _streams(sc), timeout_s=-1.0)
    assert ex.truncated and ex.sent == () and not ex.passed
    assert "TRUNCATED" in ex.render()


def test_bursts_keep_order_and_bound(ref) -> None:
    sent: list[tuple[int, int]] = []

    class Recorder:
        name = "recorder"

        def __getattr__(self, attr):
            return getattr(ref, attr)

        def send(self, port, frames):
            sent.append((port, len(frames)))
            ref.send(port, frames)

    sc = build_preset("tun44-aes128gcm")
    ex = run_exchange(Recorder(), sc, _streams(sc, 10), burst=4)
    assert ex.passed
    assert sent[:3] == [(1, 4), (1, 4), (1, 2)] and all(n <= 4 for _, n in sent)
    assert sum(n for _, n in sent) == 60
    with pytest.raises(ValueError, match="burst"):
        run_exchange(ref, sc, _streams(sc), burst=0)


def test_profile_follows_engine_for_secgw_profiles() -> None:
    legacy = build_preset("tun44-aes128gcm-legacy")
    library = build_preset("tun44-aes128gcm")
    assert resolve_profile("secgw-library", legacy).name == "secgw-legacy"
    assert resolve_profile("secgw-legacy", library).name == "secgw-library"
    assert resolve_profile("rfc-strict", legacy).name == "rfc-strict"
    with pytest.raises(ValueError, match="unknown DUT profile"):
        resolve_profile("nope", library)


def test_dut_options_from_scenario() -> None:
    opts = dut_options(build_preset("tun66-aes256cbc-sha256-esn-w64"))
    assert (opts.unprotected_ports, opts.replay_window, opts.esn, opts.engine) == (frozenset({0}), 64, True, "library")
    assert set(opts.extra) == {"port_mac.0", "port_mac.1"}


def test_lab_macs_replace_scenario_macs() -> None:
    sc = build_preset("tun44-aes128gcm")
    lab = SimpleNamespace(ports=(SimpleNamespace(id=0, dut_mac="02:00:00:00:aa:00", tester_mac="02:00:00:00:bb:00"),
                                 SimpleNamespace(id=1, dut_mac=None, tester_mac=None)))
    adapted = scenario_for_dut(sc, SimpleNamespace(lab=lab))
    assert adapted.port(0).dut_mac.hex(":") == "02:00:00:00:aa:00"
    assert adapted.port(0).tester_mac.hex(":") == "02:00:00:00:bb:00"
    assert adapted.port(1) == sc.port(1)
    neigh = {n.port: n.mac.hex(":") for n in adapted.neighbours}
    assert neigh[0] == "02:00:00:00:bb:00" and neigh[1] == sc.port(1).tester_mac.hex(":")
    assert scenario_for_dut(sc, SimpleNamespace()) is sc


def test_oracle_agrees_on_reference_and_on_corruption(ref) -> None:
    """Both oracles agree with the harness frame by frame: on clean egress (ICV good) and on
    egress whose ICV the wrapper damaged (ICV bad everywhere: the verifier fails, no X-ORACLE)."""
    sc = build_preset("tun44-aes128cbc-sha256")
    ex = with_oracle(run_exchange(ref, sc, _streams(sc)), samples_per_sa=5)
    checked = {"agree": 5, "disagree": 0, "not-checkable": 0}
    tshark = checked if tshark_path() else {"agree": 0, "disagree": 0, "not-checkable": 5}
    assert ex.oracle.coverage() == {"scapy": checked, "tshark": tshark} and ex.passed
    assert "X-ORACLE" in ex.result.requirements_exercised and "oracles on 5 sampled" in ex.render()
    bad = with_oracle(run_exchange(CorruptEgress(ref, 0), sc, _streams(sc)), samples_per_sa=5)
    assert bad.oracle.coverage() == {"scapy": checked, "tshark": tshark}
    assert all(c.harness.icv.value == c.oracle.icv.value == "fail" for c in bad.oracle.comparisons
               if c.oracle.icv.value != "not-checkable")
    assert not bad.passed and "X-ORACLE" not in bad.result.requirements_failed