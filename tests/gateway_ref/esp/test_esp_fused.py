"""The fused outbound fast path (``EspSa.enc_sync`` for IPv4-tunnel AEAD SAs) gives the same
bytes and the same SA state as prepare, run and finish, which every other placement uses."""
from __future__ import annotations

import pytest

from gateway_ref.cfg.records import Family, SaMode
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import Engine, encrypt_finish, encrypt_prepare, make_sa
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
