"""FaultyDut unit tests: each fault changes exactly what it says, re-sealed packets carry a
valid ICV, and the rest of the output is untouched.

The inner DUT here is scripted: it "emits" frames built with the harness codec for a preset's
outbound SA, so what the wrapper does is checked with the harness's own decoder, independently
of gateway_ref (which the wrapper uses to re-seal).
"""
from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence

import pytest

from harness.codec.checksum import internet_checksum
from harness.codec.esp_decode import EspDecoder
from harness.codec.esp_encode import EspEncoder
from harness.codec.ipv4 import build_ipv4
from harness.codec.ipv6 import build_ipv6
from harness.codec.l4 import build_udp
from harness.codec.spec import OuterFields
from harness.dut.base import DutOptions, ReceivedFrame
from harness.dut.faults import Fault, FaultKind, FaultyDut, Target
from harness.exchange import dut_options
from harness.scenario.model import Direction, SecurityAssociation, Tunnel
from harness.scenario.presets import build_preset
from harness.scenario.scenario import Scenario

ETH4 = bytes.fromhex("02000000ee00" "02000000d000" "0800")
ETH6 = bytes.fromhex("02000000ee00" "02000000d000" "86dd")


class ScriptedDut:
    """Emits a fixed list of frames on ``collect``; records what it was configured with."""

    name = "scripted"
    min_frame_len = 1

    def __init__(self, frames: Sequence[ReceivedFrame]) -> None:
        self.frames = list(frames)
        self.cfg: str | None = None

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        self.cfg = cfg_text

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        pass

    def collect(self) -> list[ReceivedFrame]:
        out, self.frames = self.frames, []
        return out

    def counters(self) -> dict | None:
        return {"drops": {"icv-failed": 1}}

    def close(self) -> None:
        pass


def inner4(n: int, tos: int = 0x2A, size: int = 61) -> bytes:
    payload = n.to_bytes(4, "big") + bytes(size)
    return build_ipv4("198.18.1.5", "198.19.1.9", 17, build_udp("198.18.1.5", "198.19.1.9", 1024, 1024, payload),
                      tos=tos)


def inner6(n: int) -> bytes:
    payload = n.to_bytes(4, "big") + bytes(61)
    src, dst = "2001:2:0:1:1::5", "2001:2:0:2:1::9"
    return build_ipv6(src, dst, 17, build_udp(src, dst, 1024, 1024, payload), traffic_class=0x2A)


def out_sa(sc: Scenario) -> SecurityAssociation:
    return next(sa for sa in sc.sas if sa.direction is Direction.OUT)


def esp_frames(sc: Scenario, count: int, first_seq: int = 1) -> list[ReceivedFrame]:
    sa = out_sa(sc)
    enc = EspEncoder(sa.spec)
    eth = ETH4 if sa.outer_family.value == 4 else ETH6
    inner = inner4 if sa.inner_family.value == 4 else inner6
    return [ReceivedFrame(0, 0, eth + enc.encode(inner(k), first_seq + k, outer=OuterFields(tos=0x2A, df=False)))
            for k in range(count)]


def clear_frames(count: int) -> list[ReceivedFrame]:
    return [ReceivedFrame(1, 0, ETH4 + inner4(100 + k)) for k in range(count)]


def faulty(sc: Scenario, frames: list[ReceivedFrame], fault: Fault) -> tuple[FaultyDut, list[ReceivedFrame]]:
    dut = FaultyDut(ScriptedDut(frames), fault, rng_seed=3)
    dut.configure(sc.to_cfg(), dut_options(sc))
    return dut, dut.collect()


def decode(sc: Scenario, rx: ReceivedFrame, *, spi: int | None = None, seq_high: int = 0):
    spec = out_sa(sc).spec
    if spi is not None:
        spec = dataclasses.replace(spec, spi=spi)
    return EspDecoder(spec).decode(rx.frame[14:], seq_high=seq_high)


GCM = build_preset("tun44-aes128gcm-w64")
CBC6 = build_preset("tun66-aes256cbc-sha256-w64")


def test_pass_through_without_a_matching_packet() -> None:
    frames = clear_frames(3)
    dut, out = faulty(GCM, frames, Fault(FaultKind.PAD_WRONG))
    assert out == frames and dut.applied == 0
    assert dut.counters() == {"drops": {"icv-failed": 1}}
    assert dut.name == "scripted+pad-wrong"


@pytest.mark.parametrize("sc", [GCM, CBC6], ids=["gcm4", "cbc6"])
def test_pad_wrong_has_valid_icv_and_zero_pad(sc: Scenario) -> None:
    frames = esp_frames(sc, 4)
    dut, out = faulty(sc, frames, Fault(FaultKind.PAD_WRONG, index=1))
    assert dut.applied == 1
    changed = [i for i, (a, b) in enumerate(zip(frames, out)) if a != b]
    assert len(changed) == 1 and len(out) == 4
    d = decode(sc, out[changed[0]])
    assert d.icv_ok and d.padding == bytes(d.pad_len) and d.pad_len > 0
    assert [p.value for p in d.problems] == ["pad-bytes"]
    assert d.inner == decode(sc, frames[changed[0]]).inner


def test_seq_reused_repeats_previous_number_with_valid_icv() -> None:
    frames = esp_frames(GCM, 4)
    dut, out = faulty(GCM, frames, Fault(FaultKind.SEQ_REUSED, index=1))
    seqs = [decode(GCM, rx).seq for rx in out]
    assert seqs == [1, 2, 2, 4] and dut.applied == 1
    assert all(decode(GCM, rx).ok for rx in out)


def test_iv_reused_on_cbc() -> None:
    frames = esp_frames(CBC6, 3)
    _, out = faulty(CBC6, frames, Fault(FaultKind.IV_REUSED))
    d = [decode(CBC6, rx) for rx in out]
    assert d[1].iv == d[0].iv != d[2].iv and all(x.ok for x in d)
    assert d[1].inner == decode(CBC6, frames[1]).inner


def test_wrong_next_header_and_spi_are_resealed() -> None:
    frames = esp_frames(GCM, 2)
    _, out = faulty(GCM, frames, Fault(FaultKind.WRONG_NEXT_HEADER, index=1))
    d = decode(GCM, out[1])
    assert d.icv_ok and d.next_header == 41
    _, out = faulty(GCM, esp_frames(GCM, 2), Fault(FaultKind.WRONG_SPI, value=0x4242))
    d = decode(GCM, out[0], spi=0x4242)
    assert d.icv_ok and d.spi == 0x4242 and d.ok


def test_icv_corrupted_fails_verification_only_there() -> None:
    frames = esp_frames(CBC6, 3)
    _, out = faulty(CBC6, frames, Fault(FaultKind.ICV_CORRUPTED, index=2))
    assert [decode(CBC6, rx).icv_ok for rx in out] == [True, True, False]
    assert len(out[2].frame) == len(frames[2].frame)


@pytest.mark.parametrize("kind,check", [
    (FaultKind.DSCP_NOT_COPIED, lambda tos: tos == 0x02),
    (FaultKind.ECN_NOT_COPIED, lambda tos: tos == 0x28),
], ids=["dscp", "ecn"])
def test_tos_faults_hit_every_packet_keep_checksum(kind: FaultKind, check) -> None:
    frames = esp_frames(GCM, 3)
    dut, out = faulty(GCM, frames, Fault(kind))
    assert dut.applied == 3
    for rx in out:
        l3 = rx.frame[14:]
        assert check(l3[1]) and internet_checksum(l3[:20]) == 0
        assert decode(GCM, rx).ok  # the outer header is outside the ICV


def test_wrong_outer_dst_v6_stays_in_range() -> None:
    _, out = faulty(CBC6, esp_frames(CBC6, 1), Fault(FaultKind.WRONG_OUTER_DST))
    dst = ipaddress.ip_address(out[0].frame[14 + 24:14 + 40])
    assert dst != out_sa(CBC6).spec.tunnel_dst and dst in ipaddress.ip_network("2001:2::/48")


def test_ttl_wrong_on_clear_only() -> None:
    frames = esp_frames(GCM, 1) + clear_frames(2)
    dut, out = faulty(GCM, frames, Fault(FaultKind.TTL_WRONG))
    assert dut.applied == 2 and out[0] == frames[0]
    for rx in out[1:]:
        assert rx.frame[14 + 8] == 62 and internet_checksum(rx.frame[14:34]) == 0


def test_inner_byte_flipped_changes_one_byte_in_the_tail() -> None:
    frames = clear_frames(2)
    _, out = faulty(GCM, frames, Fault(FaultKind.INNER_BYTE_FLIPPED, index=1))
    assert out[0] == frames[0]
    diff = [i for i, (a, b) in enumerate(zip(frames[1].frame, out[1].frame)) if a != b]
    assert len(diff) == 1 and diff[0] >= len(frames[1].frame) - 8


def test_sequence_faults() -> None:
    frames = esp_frames(GCM, 2) + clear_frames(3)
    dut, out = faulty(GCM, frames, Fault(FaultKind.DROP_ONE, index=3))
    assert out == frames[:3] + frames[4:] and dut.applied == 1
    dut, out = faulty(GCM, frames, Fault(FaultKind.DUPLICATE, index=1, target=Target.CLEAR))
    assert out == frames[:4] + frames[3:] and dut.applied == 1
    dut, out = faulty(GCM, frames, Fault(FaultKind.REORDER))
    assert out == [frames[1], frames[0]] + frames[2:] and dut.applied == 1
    dut, out = faulty(GCM, frames, Fault(FaultKind.REORDER, index=1))  # no successor on the port
    assert out == frames and dut.applied == 0
    dut, out = faulty(GCM, frames, Fault(FaultKind.DROP_ONE, every=True, target=Target.CLEAR))
    assert out == frames[:2] and dut.applied == 3


def test_esn_epoch_crossing_is_resealed_with_the_right_high_bits() -> None:
    """An SA started at 2^32 - 2 (cfg ``esn`` value): packets 2^32 - 2 .. 2^32 + 1 carry low
    halves ... 0xFFFFFFFE, 0xFFFFFFFF, 0, 1; the wrapper must infer the epoch to re-seal."""
    base = build_preset("tun44-aes128gcm-esn-w64")
    start = (1 << 32) - 2
    tunnels = tuple(Tunnel(t.name, dataclasses.replace(t.outbound, esn_start=start), t.inbound) for t in base.tunnels)
    sc = dataclasses.replace(base, tunnels=tunnels)
    frames = esp_frames(sc, 4, first_seq=start)
    dut, out = faulty(sc, frames, Fault(FaultKind.PAD_WRONG, every=True))
    assert dut.applied == 4
    for k, rx in enumerate(out):
        full = start + k
        d = decode(sc, rx, seq_high=full >> 32)
        assert d.icv_ok and d.seq == full & 0xFFFFFFFF and d.padding == bytes(d.pad_len) != b"", k


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="index"):
        Fault(FaultKind.DROP_ONE, index=-1)
    with pytest.raises(ValueError, match="only applies to ESP"):
        Fault(FaultKind.PAD_WRONG, target=Target.CLEAR)
    assert Fault(FaultKind.DROP_ONE, index=3, target=Target.CLEAR).name == "drop-one-clear-3"


def test_bad_cfg_is_a_value_error() -> None:
    dut = FaultyDut(ScriptedDut([]), Fault(FaultKind.DROP_ONE))
    with pytest.raises(ValueError, match="faulty-dut.cfg:1"):
        dut.configure("sa out 5 mode nonsense\n", DutOptions())
