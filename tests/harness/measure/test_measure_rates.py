"""Rates against hand-computed RFC 2544 numbers (frame + 8 B preamble + 12 B gap)."""
import pytest

from harness.measure import rates
from harness.measure.esp_size import EspLayout, EspMode, encrypted_frame
from harness.measure.rates import IMIX_SIMPLE, Imix

# 10GE maximum frame rates as listed in RFC 2544-style tables: 10e9 / ((size + 20) * 8).
TEN_GIG = [(64, 14_880_952), (128, 8_445_945), (256, 4_528_985), (512, 2_349_624),
           (1024, 1_197_318), (1280, 961_538), (1518, 812_743)]


@pytest.mark.parametrize("size,pps", TEN_GIG)
def test_line_rate_10g(size, pps):
    assert rates.line_rate_pps_int(10e9, size) == pps


def test_line_rate_1g_64b():
    # RFC 2544 Appendix C.2.1 lists 1,488,095 fps for 64-byte frames at 1000 Mb/s.
    assert rates.line_rate_pps_int(1e9, 64) == 1_488_095


def test_l1_l2_round_trip():
    pps = 1_000_000.0
    assert rates.pps_to_l1_bps(pps, 64) == pytest.approx(672e6)
    assert rates.pps_to_l2_bps(pps, 64) == pytest.approx(512e6)
    assert rates.l1_bps_to_pps(672e6, 64) == pytest.approx(pps)
    assert rates.l2_bps_to_pps(512e6, 64) == pytest.approx(pps)
    assert rates.l1_to_l2_bps(10e9, 64) == pytest.approx(10e9 * 64 / 84)


def test_imix_mean_and_rate():
    mean = (64 * 7 + 570 * 4 + 1518) / 12
    assert IMIX_SIMPLE.mean_frame_bytes == pytest.approx(mean)
    assert rates.line_rate_pps(10e9, IMIX_SIMPLE) == pytest.approx(10e9 / ((mean + 20) * 8))
    assert rates.frame_label(IMIX_SIMPLE) == "imix"
    assert rates.frame_label(1518) == "1518b"


@pytest.mark.parametrize("bad", [lambda: rates.mean_frame_bytes(63), lambda: Imix("x", ()),
                                 lambda: Imix("x", ((64, 0),)), lambda: rates.line_rate_pps(0, 64)])
def test_bad_input_rejected(bad):
    with pytest.raises(ValueError):
        bad()


def test_esp_sizes_by_hand():
    gcm4 = EspLayout(iv_bytes=8, icv_bytes=16, align_bytes=4, mode=EspMode.TUNNEL4)
    # 64 B frame: inner IPv4 packet 46 B; pad 46+2 to 48; ESP 8+8+48+16 = 80; +20 outer +18 L2.
    assert encrypted_frame(64, gcm4) == 118
    cbc6 = EspLayout(iv_bytes=16, icv_bytes=16, align_bytes=16, mode=EspMode.TUNNEL6)
    # 128 B: inner 110; 112 -> 112 (multiple of 16); ESP 8+16+112+16 = 152; +40 +18.
    assert encrypted_frame(128, cbc6) == 210
    tr4 = EspLayout(iv_bytes=8, icv_bytes=16, align_bytes=4, mode=EspMode.TRANSPORT4)
    # 64 B: IP payload 26 B; 28 -> 28; ESP 8+8+28+16 = 60; + 20 kept header + 18.
    assert encrypted_frame(64, tr4) == 98
    mix = encrypted_frame(IMIX_SIMPLE, gcm4)
    assert isinstance(mix, Imix) and mix.mix[0] == (118, 7)
    with pytest.raises(ValueError):
        EspLayout(8, 16, 6, EspMode.TUNNEL4)
