"""Frame-size conventions, IMIX, RFC 2544 sizes and rate conversions (RFC 2544 arithmetic)."""
from __future__ import annotations

import pytest

from harness.stream import Rate, RateUnit, SizeBasis, SizeKind, SizeSpec, frame_to_l3, l3_to_frame
from harness.stream.sizes import frame_to_wire_bytes


def test_frame_conversions() -> None:
    assert frame_to_l3(64) == 46 and l3_to_frame(46) == 64
    assert frame_to_l3(1518) == 1500
    assert frame_to_wire_bytes(64) == 60


def test_size_kinds() -> None:
    assert SizeSpec.rfc2544().cycle == (64, 128, 256, 512, 1024, 1280, 1518)
    imix = SizeSpec.imix().cycle
    assert len(imix) == 12 and (imix.count(64), imix.count(570), imix.count(1518)) == (7, 4, 1)
    assert imix[0] == 64 and imix[1] == 570  # spread, not grouped
    assert SizeSpec.imix().mean_frame_bytes() == pytest.approx((7 * 64 + 4 * 570 + 1518) / 12)
    assert SizeSpec.fixed(100, SizeBasis.L3).l3_cycle() == (100,)
    assert SizeSpec.fixed(100, SizeBasis.L3).mean_frame_bytes() == 118
    assert SizeSpec.of([64, 128]).l3_cycle() == (46, 110)


@pytest.mark.parametrize("build, needle", [
    (lambda: SizeSpec(SizeKind.FIXED, (64, 128)), "exactly one size"),
    (lambda: SizeSpec(SizeKind.LIST, ()), "must not be empty"),
    (lambda: SizeSpec(SizeKind.IMIX, (64,)), "must be empty for kind imix"),
    (lambda: SizeSpec.fixed(20000), "SizeSpec.sizes: 20000"),
    (lambda: SizeSpec.from_dict({"kind": "huge"}), "SizeSpec.kind must be one of"),
])
def test_size_errors_name_the_field(build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=needle):
        build()


def test_64_byte_frames_at_10g_l1_is_14_88_mpps() -> None:
    rate = Rate.l1_bps(10e9)
    assert rate.to_pps(64) == pytest.approx(14_880_952.38, abs=0.01)
    assert Rate.percent(100, 10e9).to_pps(64) == pytest.approx(14_880_952.38, abs=0.01)
    assert Rate.l1_bps(10e9).to_pps(1518) == pytest.approx(812_743.8, abs=0.1)


def test_l2_and_pps_conversions() -> None:
    assert Rate.l2_bps(10e9).to_pps(64) == pytest.approx(10e9 / 512)
    assert Rate.pps(1e6).to_l1_bps(64) == pytest.approx(672e6)
    assert Rate.pps(1e6).to_l2_bps(64) == pytest.approx(512e6)
    assert Rate.percent(50, 40e9).to_l1_bps(512) == pytest.approx(20e9)


@pytest.mark.parametrize("build, needle", [
    (lambda: Rate(0, RateUnit.PPS), "Rate.value must be a number > 0"),
    (lambda: Rate(101, RateUnit.PERCENT, 1e9), "Rate.value must be <= 100"),
    (lambda: Rate(10, RateUnit.PERCENT), "Rate.line_rate_bps must be > 0"),
    (lambda: Rate(10, RateUnit.PPS, 1e9), "Rate.line_rate_bps is only meaningful"),
    (lambda: Rate.from_dict({"value": 1, "unit": "mbps"}), "Rate.unit must be one of"),
])
def test_rate_errors_name_the_field(build, needle: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=needle):
        build()


@pytest.mark.parametrize("rate", [Rate.pps(1000), Rate.l1_bps(1e9), Rate.l2_bps(2.5e9), Rate.percent(12.5, 1e10)])
def test_rate_json_round_trip(rate: Rate) -> None:
    assert Rate.from_dict(rate.to_dict()) == rate
