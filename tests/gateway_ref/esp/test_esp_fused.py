"""The fused fast paths give the same results and SA state as the steps every other placement
uses: outbound ``EspSa.enc_sync`` (IPv4-tunnel AEAD SAs) as prepare, run and finish; inbound
``EspSa.dec_burst`` (IPv4-tunnel, library engine, no ESN) as every prepare and run, then every
finish."""
from __future__ import annotations

import random

import pytest

from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import Engine, encrypt_finish, encrypt_prepare, make_sa
from gateway_ref.esp.inbound import _two_phase
from gateway_ref.esp.op import synchronous
from gateway_ref.esp.outbound import _fused_tunnel4

from esp_helpers import inner, sa_rule

AEADS = ["aes-128-gcm", "aes-256-gcm", "aes-128-ccm", "chacha20-poly1305", "aes-gmac"]


def _steps(sa, l3: bytes):
    op = encrypt_prepare(sa, l3)
    if isinstance(op, DropReason):
        return op
    op.run()
    return encrypt_finish(op)


@pytest.mark.parametrize("esn", [False, True], ids=["seq32", "esn"])
@pytest.mark.parametrize("family", [Family.IPV4, Family.IPV6], ids=["in4", "in6"])
@pytest.mark.parametrize("aead", AEADS)
def test_fused_equals_prepare_run_finish(aead: str, family: Family, esn: bool) -> None:
    rule = sa_rule(cipher="null", auth=aead) if aead == "aes-gmac" else sa_rule(aead=aead)
    fused_sa = make_sa(rule, family, replay_window=64, esn=esn, engine=Engine.LIBRARY)
    steps_sa = make_sa(rule, family, replay_window=64, esn=esn, engine=Engine.LIBRARY)
    assert fused_sa.enc_sync.__qualname__.startswith("_fused_tunnel4")  # the fast path is what runs
    # sequence numbers across the IPv4 ID wrap (ID = low 16 bits) and, with ESN, an epoch change
    start = 0xFFFFFFFE if esn else 0xFFFE
    fused_sa.rt.seq = steps_sa.rt.seq = start
    for i in range(4):
        l3 = inner(family, bytes(range(i * 7)), tos=(0, 1, 2, 3)[i])  # every ECN codepoint in the TOS
        assert fused_sa.enc_sync(l3) == _steps(steps_sa, l3)
    assert (fused_sa.rt.seq, fused_sa.rt.packets, fused_sa.rt.bytes) == \
        (steps_sa.rt.seq, steps_sa.rt.packets, steps_sa.rt.bytes)


def test_fused_drops_exhausted_sequence_like_the_steps() -> None:
    sa = make_sa(sa_rule(), Family.IPV4, replay_window=0, esn=False, engine=Engine.LIBRARY)
    sa.rt.seq = 0xFFFFFFFF
    assert sa.enc_sync(inner(Family.IPV4)) is DropReason.SEQUENCE_EXHAUSTED
    assert _steps(sa, inner(Family.IPV4)) is DropReason.SEQUENCE_EXHAUSTED
    assert sa.rt.drops == {DropReason.SEQUENCE_EXHAUSTED: 2} and sa.rt.seq == 0xFFFFFFFF


@pytest.mark.parametrize("kind", ["legacy", "udp-encap", "ipv6-tunnel", "transport", "cbc"])
def test_other_sas_use_the_three_steps(kind: str) -> None:
    engine = Engine.LEGACY if kind == "legacy" else Engine.LIBRARY
    rule = {"legacy": sa_rule(), "udp-encap": sa_rule(udp_encap=True), "ipv6-tunnel": sa_rule(mode=SaMode.IPV6_TUNNEL),
            "transport": sa_rule(mode=SaMode.TRANSPORT),
            "cbc": sa_rule(cipher="aes-128-cbc", auth="sha256-hmac")}[kind]
    sa = make_sa(rule, Family.IPV4, replay_window=0, esn=False, engine=engine)
    assert sa.enc_sync.__qualname__.startswith(synchronous.__name__)
    assert not sa.enc_sync.__qualname__.startswith(_fused_tunnel4.__name__)


def _twin_receivers(rule, window: int):
    return (make_sa(rule, Family.IPV4, replay_window=window, esn=False, engine=Engine.LIBRARY),
            make_sa(rule, Family.IPV4, replay_window=window, esn=False, engine=Engine.LIBRARY))


def _mixed_bursts(rule, seed: int) -> list[list[bytes]]:
    """Bursts of this SA's packets with every case phase 1 decides: good, a duplicate inside
    the burst and across bursts, an old sequence number, a flipped ICV bit, a runt, a wrong
    SPI, an IPv4 header with options (not the fused form), inner ECN CE under an ECT outer."""
    rnd = random.Random(seed)
    sender = make_sa(rule, Family.IPV4, replay_window=0, esn=False, engine=Engine.LIBRARY)
    good = [sender.enc_sync(inner(Family.IPV4, bytes(rnd.randrange(40)), tos=rnd.choice((0, 1, 2, 3))))
            for _ in range(120)]
    cases: list[bytes] = []
    for i, pkt in enumerate(good):
        kind = rnd.randrange(10)
        if kind == 0 and cases:
            cases.append(rnd.choice(cases))  # duplicate (same burst or an earlier one)
        elif kind == 1:
            cases.append(pkt[:-1] + bytes([pkt[-1] ^ 1]))  # ICV
        elif kind == 2:
            cases.append(pkt[:30])  # runt
        elif kind == 3:
            cases.append(pkt[:20] + (0xBAD).to_bytes(4, "big") + pkt[24:])  # SPI
        elif kind == 4:  # the same packet with a 4-byte NOP option: prepare's general path
            hdr = bytearray(pkt[:20] + b"\x01\x01\x01\x01")
            hdr[0], hdr[2:4], hdr[10:12] = 0x46, (len(pkt) + 4).to_bytes(2, "big"), b"\0\0"
            cases.append(bytes(hdr) + pkt[20:])
        elif kind == 5:  # outer TOS with ECT(0) / CE marks
            cases.append(pkt[:1] + bytes([rnd.choice((1, 2, 3))]) + pkt[2:])
        cases.append(pkt)
        if i % 7 == 0:
            cases.append(good[max(0, i - 70)])  # old: below the window of 64, or a replay
    bursts, i = [], 0
    while i < len(cases):
        n = rnd.choice((1, 3, 16, 64))
        bursts.append(cases[i:i + n])
        i += n
    return bursts


@pytest.mark.parametrize("window", [0, 64], ids=["no-window", "w64"])
@pytest.mark.parametrize("aead", ["aes-128-gcm", "chacha20-poly1305", "aes-gmac"])
def test_fused_inbound_burst_equals_two_phase(aead: str, window: int) -> None:
    rule = sa_rule(cipher="null", auth=aead) if aead == "aes-gmac" else sa_rule(aead=aead)
    fused, steps = _twin_receivers(rule, window)
    assert fused.dec_burst.__qualname__.startswith("_fused_tunnel4_burst")  # the fused path is what runs
    two_phase = _two_phase(steps.dec_prepare, steps.dec_finish)
    for seed in range(3):
        for burst in _mixed_bursts(rule, seed):
            assert fused.dec_burst(burst) == two_phase(burst)
    assert fused.rt.drops == steps.rt.drops and len(fused.rt.drops) == (4 if window else 3)  # replay needs a window
    assert (fused.rt.top, fused.rt.bitmap, fused.rt.packets, fused.rt.bytes) == \
        (steps.rt.top, steps.rt.bitmap, steps.rt.packets, steps.rt.bytes)


@pytest.mark.parametrize("kind", ["esn", "ipv6-tunnel", "transport", "legacy", "inner6"])
def test_other_inbound_sas_burst_in_two_phases(kind: str) -> None:
    rule = {"ipv6-tunnel": sa_rule(mode=SaMode.IPV6_TUNNEL), "transport": sa_rule(mode=SaMode.TRANSPORT)}.get(kind, sa_rule())
    sa = make_sa(rule, Family.IPV6 if kind == "inner6" else Family.IPV4, replay_window=64, esn=kind == "esn",
                 engine=Engine.LEGACY if kind == "legacy" else Engine.LIBRARY)
    assert sa.dec_burst.__qualname__.startswith(_two_phase.__name__)
