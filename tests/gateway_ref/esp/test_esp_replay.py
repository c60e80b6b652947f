"""Anti-replay (RFC 4303 §3.4.3) with the sequences of secgw-reference §5.4 (RFC semantics:
seq = T - W is below the window), duplicates inside one burst, ESN epoch crossing (RFC 4303
Appendix A2), and sequence-number exhaustion (§3.3.3)."""
from __future__ import annotations

import pytest

from esp_helpers import inner4, sa_pair, sa_rule
from gateway_ref.cfg.records import Family
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import (Engine, decrypt_finish, decrypt_prepare, esp_decrypt, esp_encrypt,
                             make_sa)
from gateway_ref.esp.replay import infer_esn

PKT = inner4(b"replay")


def _wire(tx, seq: int) -> bytes:
    out = esp_encrypt(tx, PKT, seq=seq)
    assert isinstance(out, bytes)
    return out


def _verdicts(rx, tx, seqs: list[int]) -> list[bool]:
    return [isinstance(esp_decrypt(rx, _wire(tx, s)), tuple) for s in seqs]


@pytest.mark.parametrize("w", [32, 64, 1024])
def test_window_edges_without_esn(w: int) -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, window=w)
    seqs = [2 * w, w + 1, w, w + w // 2, w + w // 2]
    assert _verdicts(rx, tx, seqs) == [True, True, False, True, False]
    assert rx.rt.drops == {DropReason.REPLAY: 2}


@pytest.mark.parametrize("w", [64, 1024])
def test_window_edges_with_esn_across_epoch(w: int) -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, window=w, esn=True)
    e = 1 << 32
    seqs = [e - 1 - w, e + w // 2, e - w // 2 + 1, e - 1, e, e - 1, e]
    assert _verdicts(rx, tx, seqs) == [True, True, True, True, True, False, False]
    assert rx.rt.top == e + w // 2


def test_duplicate_inside_one_burst_is_caught_at_finish() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4)
    wire = _wire(tx, 5)
    op1, op2 = decrypt_prepare(rx, wire), decrypt_prepare(rx, wire)
    op1.run()
    op2.run()
    assert isinstance(decrypt_finish(op1), tuple)
    assert decrypt_finish(op2) is DropReason.REPLAY


def test_window_advances_only_after_icv_verified() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, window=32)
    forged = bytearray(_wire(tx, 1000))
    forged[-1] ^= 0xFF
    assert esp_decrypt(rx, bytes(forged)) is DropReason.ICV
    assert isinstance(esp_decrypt(rx, _wire(tx, 3)), tuple)  # would be below a moved window


def test_window_zero_disables_anti_replay() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, window=0)
    wire = _wire(tx, 9)
    assert isinstance(esp_decrypt(rx, wire), tuple)
    assert isinstance(esp_decrypt(rx, wire), tuple)


def test_esn_sa_gets_a_window_of_at_least_64() -> None:
    sa = make_sa(sa_rule(esn=100), Family.IPV4, replay_window=0, esn=False, engine=Engine.LIBRARY)
    assert sa.params.esn and sa.params.replay_window == 64
    assert sa.rt.top == 100 and sa.rt.seq == 99  # first packet sent carries 100


def test_esn_value_sets_first_sequence_number() -> None:
    tx = make_sa(sa_rule(esn=(1 << 32) + 5), Family.IPV4, replay_window=0, esn=False, engine=Engine.LIBRARY)
    wire = esp_encrypt(tx, PKT)
    assert wire[24:28] == (5).to_bytes(4, "big")  # only the low 32 bits are on the wire


def test_esn_after_top_w_plus_2_seq_1_is_next_epoch() -> None:
    """secgw-reference §3.6 / test_ipsec.c: with ESN, seq 1 after T = W + 2 means 2^32 + 1."""
    assert infer_esn(64 + 2, 1, 64) == (1 << 32) + 1
    assert infer_esn(10, 0xFFFFFFF0, 64) == -1  # before the first epoch: a replay
    assert infer_esn((1 << 32) + 10, 0xFFFFFFF0, 64) == 0xFFFFFFF0  # Case B: previous epoch


def test_sequence_exhaustion_without_esn() -> None:
    tx, _ = sa_pair(sa_rule(), Family.IPV4)
    tx.rt.seq = 0xFFFFFFFE
    assert isinstance(esp_encrypt(tx, PKT), bytes)  # 2^32 - 1 is the last one
    assert esp_encrypt(tx, PKT) is DropReason.SEQUENCE_EXHAUSTED
    assert tx.rt.drops == {DropReason.SEQUENCE_EXHAUSTED: 1}
    assert tx.rt.seq == 0xFFFFFFFF


def test_esn_sender_crosses_the_epoch() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, esn=True)
    tx.rt.seq = 0xFFFFFFFE
    rx.rt.top = 0xFFFFFFF0
    for _ in range(3):
        assert esp_decrypt(rx, esp_encrypt(tx, PKT)) == (PKT, Family.IPV4)
    assert tx.rt.seq == (1 << 32) + 1


def test_legacy_wraps_silently_and_has_no_window() -> None:
    tx, rx = sa_pair(sa_rule(), Family.IPV4, window=64, engine=Engine.LEGACY)
    assert rx.params.replay_window == 0 and not rx.params.esn
    tx.rt.seq = 0xFFFFFFFF
    wire = esp_encrypt(tx, PKT)
    assert isinstance(wire, bytes) and wire[24:28] == bytes(4)
