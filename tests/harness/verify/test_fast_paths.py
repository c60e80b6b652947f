"""The verifier's fast paths give exactly what the general paths give: the per-flow plans of
``expect`` against ``expect_one`` packet by packet, and ``Observer.observe_all``'s inline ESP
opening against ``Observer.observe``."""
from __future__ import annotations

import pytest
from verify_build import (IN4, OUT4, SPI_OUT4, Sent, dut_output, encrypt_frame, esp_in, eth, scenario, sent, udp4,
                          udp6)

from harness.scenario.model import Direction
from harness.stream.builder import PacketKind, SentPacket
from harness.verify.expect import GatewayModel, _flow_key, _plan, expect, expect_one
from harness.verify.expectations import Drop, DropReason, Encrypt
from harness.verify.observe import Observer
from harness.verify.profiles import RFC_STRICT, SECGW_LEGACY, SECGW_LIBRARY
from harness.verify.sent import sent_view


def _mixed() -> list[Sent | SentPacket]:
    """Repeated flows of every outcome (protect v4/v6, bypass, discard, no route, inbound
    clear and ESP), interleaved, some as the stream's SentPacket records."""
    flows = [
        (1, lambda k: udp4("198.18.1.5", "198.19.1.9", seq=k, tos=0xB9)),  # protect v4
        (1, lambda k: udp4("198.18.1.5", "198.19.1.9", seq=k, ttl=9)),  # same SA, other flow
        (1, lambda k: udp4("198.18.7.5", "198.19.2.9", seq=k)),  # bypass
        (1, lambda k: udp4("198.18.7.5", "198.19.3.9", seq=k)),  # discard
        (1, lambda k: udp4("198.18.1.5", "203.0.113.1", seq=k)),  # no policy: default deny
        (1, lambda k: udp6("2001:2:0:1::5", "2001:2:0:2::9", seq=k, tc=0x28)),  # protect v6
        (0, lambda k: udp4("198.19.2.9", "198.18.7.5", seq=k)),  # inbound bypass
        (0, lambda k: udp4("198.19.1.9", "198.18.1.5", seq=k)),  # inbound clear on protect: drop
        (0, lambda k: esp_in(udp4("198.19.1.9", "198.18.1.5", seq=k), 1)),  # replayed ESP after the first
    ]
    out: list[Sent | SentPacket] = []
    for k in range(6):
        for stream, (port, make) in enumerate(flows):
            frame = eth(port, make(k))
            rec = Sent(stream, k, port, frame)
            out.append(SentPacket(stream, k, port, frame, PacketKind.CLEAR, None, None) if k % 2 else rec)
    return out


@pytest.mark.parametrize("profile", [SECGW_LIBRARY, SECGW_LEGACY, RFC_STRICT], ids=lambda p: p.name)
def test_flow_plans_equal_the_full_model(profile) -> None:
    pkts = _mixed()
    model = GatewayModel(scenario(), profile)
    full = [expect_one(model, sent_view(i, s)) for i, s in enumerate(pkts)]
    fast = expect(scenario(), pkts, profile)
    assert fast == full
    assert {type(e).__name__ for e in fast} == {"Encrypt", "ForwardClear", "Drop", "Decrypt"}
    replays = sum(isinstance(e, Drop) and e.reason is DropReason.REPLAY for e in fast)
    assert replays == (5 if profile.anti_replay else 0)


def test_flow_plan_drops_when_the_sequence_is_exhausted() -> None:
    model = GatewayModel(scenario(), SECGW_LIBRARY)
    first = sent_view(0, sent(1, udp4("198.18.1.5", "198.19.1.9")))
    plan = _plan(model, first, expect_one(model, first))
    assert plan is not None and _flow_key(first) is not None
    model.out_seq[SPI_OUT4] = 2**32 - 1
    last = plan(sent_view(1, sent(1, udp4("198.18.1.5", "198.19.1.9", seq=1), seq=1)))
    over = plan(sent_view(2, sent(1, udp4("198.18.1.5", "198.19.1.9", seq=2), seq=2)))
    assert isinstance(last, Encrypt) and last.seq == 2**32 - 1 and last.outer.ident == 0xFFFF
    assert isinstance(over, Drop) and over.reason is DropReason.SEQUENCE_EXHAUSTED


def _empty_plaintext_frame(template: bytes) -> bytes:
    """An ESP frame on OUT4 whose ciphertext is empty and whose ICV is right (RFC 4106)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from harness.codec.ipv4 import build_ipv4

    hdr, iv = SPI_OUT4.to_bytes(4, "big") + (7).to_bytes(4, "big"), bytes(8)
    key = OUT4.aead_key
    body = hdr + iv + AESGCM(key[:-4]).encrypt(key[-4:] + iv, b"", hdr)
    return template[:14] + build_ipv4(OUT4.tunnel_src, OUT4.tunnel_dst, 50, body)


def test_observe_all_inline_path_equals_observe() -> None:
    sc = scenario()
    exps = expect(sc, _mixed(), SECGW_LIBRARY)
    frames = dut_output(exps)
    enc = next(e for e in exps if isinstance(e, Encrypt) and e.spec.spi == SPI_OUT4)
    good = encrypt_frame(enc)
    frames[0] += [
        (90, good[:-1] + bytes((good[-1] ^ 1,))),  # ICV wrong
        (91, good[:20] + bytes(60)),  # IP length larger than the frame
        (92, good[:16] + b"\x00\x30" + good[18:]),  # IP length too short for IV + ICV
        (93, eth(0, esp_in(udp4("198.19.1.9", "198.18.1.5"), 1))),  # ESP on an SPI no outbound SA has
        (94, encrypt_frame(enc, inner=b"\x45" + bytes(10))),  # no signature inside
        (95, good + bytes(6)),  # Ethernet padding after the IP packet
        (96, _empty_plaintext_frame(good)),  # valid tag over nothing: no trailer at all
    ]
    outs = [sa for sa in sc.sas if sa.direction is Direction.OUT]
    fast = Observer(outs).observe_all(frames)
    slow_observer = Observer(outs)
    slow = [slow_observer.observe(port, i, ts, f) for port, fl in sorted(frames.items()) for i, (ts, f) in enumerate(fl)]
    assert fast == slow
    assert sum(rx.esp is not None and rx.esp.icv_ok for rx in fast) > 10
    assert IN4.spi not in {rx.spi for rx in fast if rx.esp is not None} and OUT4.spi in {rx.spi for rx in fast}


def test_observe_all_inline_path_equals_observe_for_cbc() -> None:
    from harness.scenario.presets import build_preset
    from harness.stream import HeaderTemplate, SizeSpec, StreamSpec, build_packets
    from harness.verify.verdict import verify

    sc = build_preset("tun44-aes128cbc-sha256")
    sent_pkts = build_packets(StreamSpec(1, HeaderTemplate("198.18.1.5", "198.19.1.9"), 20, SizeSpec.fixed(64), port=1),
                              sc)
    exps = expect(sc, sent_pkts, SECGW_LIBRARY)
    frames = dut_output(exps)
    good = frames[0][3][1]
    frames[0].append((99, good[:-1] + bytes((good[-1] ^ 1,))))  # ICV wrong: the general path reports it
    outs = [sa for sa in sc.sas if sa.direction is Direction.OUT]
    fast = Observer(outs).observe_all(frames)
    slow_observer = Observer(outs)
    assert fast == [slow_observer.observe(p, i, ts, f) for p, fl in sorted(frames.items()) for i, (ts, f) in enumerate(fl)]
    assert sum(rx.esp is not None and rx.esp.icv_ok for rx in fast) == 20
    del frames[0][-1]
    assert verify(sc, sent_pkts, frames, SECGW_LIBRARY).passed


def test_verify_restores_the_cyclic_gc_state() -> None:
    import gc

    from harness.verify.verdict import verify

    sc = scenario()
    pkts = _mixed()[:9]
    out = dut_output(expect(sc, pkts, SECGW_LIBRARY))
    assert gc.isenabled()
    verify(sc, pkts, out, SECGW_LIBRARY)
    assert gc.isenabled()
    gc.disable()
    try:
        verify(sc, pkts, out, SECGW_LIBRARY)
        assert not gc.isenabled()
    finally:
        gc.enable()
