"""Long-run ESP invariants: sequence continuity (E2, E3) and IV uniqueness (G4)."""
from __future__ import annotations

from harness.verify.findings import PacketRef, Severity
from harness.verify.invariants import EspInvariants


def _feed(inv: EspInvariants, spi: int, seqs: list[int], ivs: list[bytes] | None = None) -> None:
    for i, seq in enumerate(seqs):
        iv = ivs[i] if ivs else seq.to_bytes(8, "big")
        inv.observe(spi, seq, iv, PacketRef(port=0, frame_index=i))


def test_clean_run_has_no_findings() -> None:
    inv = EspInvariants("secgw-library")
    _feed(inv, 0x1001, list(range(1, 1001)))
    _feed(inv, 0x1002, list(range(1, 11)))
    assert inv.findings == []
    st = inv.stats()[0x1001]
    assert (st.packets, st.first_seq, st.last_seq, st.gaps, st.repeats) == (1000, 1, 1000, 0, 0)


def test_first_sequence_not_one_is_e2() -> None:
    inv = EspInvariants("p")
    _feed(inv, 7, [0, 1, 2])
    assert [(f.requirement, f.expected, f.observed) for f in inv.findings] == [("E2", 1, 0)]


def test_esn_start_value_respected() -> None:
    inv = EspInvariants("p", first_seq={7: 2**32 - 2})
    _feed(inv, 7, [2**32 - 2, 2**32 - 1, 2**32])
    assert inv.findings == []


def test_gap_and_repeat_are_e3() -> None:
    inv = EspInvariants("p")
    _feed(inv, 7, [1, 2, 4, 5, 5, 6], [bytes([i]) * 8 for i in range(6)])
    got = [(f.requirement, f.field, f.expected, f.observed, f.severity) for f in inv.findings]
    assert got == [("E3", "esp.seq", 3, 4, Severity.FAIL), ("E3", "esp.seq", 6, 5, Severity.FAIL)]
    st = inv.stats()[7]
    assert (st.gaps, st.repeats) == (1, 1)


def test_all_zero_sequence_like_cscwp66238() -> None:
    inv = EspInvariants("p")
    _feed(inv, 7, [0] * 5, [bytes([i]) * 8 for i in range(5)])
    assert [f.requirement for f in inv.findings] == ["E2", "E3", "E3", "E3", "E3"]


def test_iv_reuse_is_g4_and_null_cipher_exempt() -> None:
    inv = EspInvariants("p", check_iv={9: False})
    same = [b"\x01" * 16] * 3
    _feed(inv, 7, [1, 2, 3], same)
    _feed(inv, 9, [1, 2, 3], same)
    assert [(f.requirement, f.packet.frame_index) for f in inv.findings] == [("G4", 1), ("G4", 2)]
    assert inv.stats()[7].iv_reuses == 2


def test_replay_model_esn_inference_rfc4303_appendix_a() -> None:
    """RFC 4303 App. A2: T = 2^32 - 10, W = 64: low 5 is in the next epoch, low 2^32 - 20 in this one."""
    from harness.verify.replay import ReplayWindow, infer_esn
    from harness.verify.profiles import ReplayEdge
    top = 2**32 - 10
    assert infer_esn(top, 64, 5) == 2**32 + 5
    assert infer_esn(top, 64, 2**32 - 20) == 2**32 - 20
    # window spanning the boundary (T low < W - 1): a high low-part belongs to the previous epoch
    assert infer_esn(2**32 + 3, 64, 2**32 - 5) == 2**32 - 5
    assert infer_esn(2**32 + 3, 64, 10) == 2**32 + 10
    w = ReplayWindow(64, ReplayEdge.RFC4303, esn=True, top=2**32 - 1 - 64)
    for seq in (2**32 + 32, 2**32 - 32 + 1, 2**32 - 1, 2**32):  # DPDK app/test ESN sequence (W = 64)
        full = w.full_seq(seq & 0xFFFFFFFF)
        assert full == seq and w.check(full)
        w.accept(full)
    assert not w.check(w.full_seq((2**32 - 1) & 0xFFFFFFFF)) and not w.check(w.full_seq(0))
