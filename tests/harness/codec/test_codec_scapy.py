"""Cross-check against scapy's SecurityAssociation (scapy.layers.ipsec), both directions, for
every algorithm scapy implements: our packets decrypt in scapy, scapy's packets decode with
no problem in ours, and with the same IV both produce identical ESP bytes."""

from __future__ import annotations

import pytest

from harness.codec.esp_decode import EspDecoder
from harness.codec.esp_encode import EspEncoder
from harness.oracles.scapy_oracle import scapy_encrypt, scapy_unsupported
from harness.oracles.verdict import OracleStatus
from harness.oracles.scapy_oracle import scapy_decrypt

from codec_samples import combo_id, combos, inner_v4, inner_v6, make_spec

SCAPY_COMBOS = [c for c in combos() if scapy_unsupported(make_spec(c)) is None]
CASES = [("tun4", dict(mode="tunnel"), False), ("tun6-inner6", dict(mode="tunnel", v6=True), True),
         ("trs4", dict(mode="transport"), False), ("tun4-esn", dict(mode="tunnel", esn=True), False)]


def test_scapy_covers_the_common_algorithms() -> None:
    ids = {combo_id(c) for c in SCAPY_COMBOS}
    assert {"aes-128-gcm", "aes-128-cbc+sha256-hmac", "chacha20-poly1305", "aes-256-ccm", "null+aes-gmac"} <= ids


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("combo", SCAPY_COMBOS, ids=[combo_id(c) for c in SCAPY_COMBOS])
def test_both_directions(combo: tuple, case: tuple) -> None:
    _, kwargs, v6_inner = case
    spec = make_spec(combo, **kwargs)
    inner = inner_v6(41) if v6_inner else inner_v4(41)
    seq = (2 << 32 | 77) if spec.esn else 77
    enc = EspEncoder(spec)
    iv = bytes(range(0x40, 0x40 + enc.transform.iv_len))
    ours = enc.encode(inner, seq, iv=iv)
    verdict = scapy_decrypt(spec, ours, seq_high=seq >> 32)
    assert verdict.status is OracleStatus.PASS, verdict.detail
    assert verdict.inner == inner
    theirs = scapy_encrypt(spec, inner, seq, iv=iv)
    hdr = 40 if spec.tunnel_src is not None and spec.tunnel_src.version == 6 else 20
    assert theirs[hdr:].hex() == ours[hdr:].hex()
    decoded = EspDecoder(spec).decode(theirs, seq_high=seq >> 32)
    assert decoded.problems == ()
    assert decoded.inner == inner
