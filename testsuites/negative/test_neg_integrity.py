"""Integrity and trailer: ESP packets that fail the ICV, carry a bad trailer, are cut short or
are dummies, each among good ESP and clear packets. RFC 4303 §3.4.4 (E9), §2.4 (E10, E12),
§2.6 (E13, next header), §3.4 (E19)."""
from __future__ import annotations

import pytest

from harness.codec.ipv4 import with_checksum
from harness.codec.spec import Corruption, EspField
from harness.exchange import CraftedPacket
from testsuites.negative.craft import Crafter, assert_dropped

pytestmark = pytest.mark.negative

PRESETS = ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64", "trs4-aes128cbc-sha1-w64"]
BAD = 50  # stream id of the bad packets


def _around(c: Crafter, bad: list[CraftedPacket], *, first_seq: int = 1) -> list[CraftedPacket]:
    """Good ESP (sequence 1..3), the bad packets, good ESP again, good clear traffic: the
    replay window and the SA must be unharmed by the bad ones."""
    before = c.good_esp(1, range(first_seq, first_seq + 3))
    after = [c.esp(2, k, s) for k, s in enumerate(range(first_seq + 100, first_seq + 103))]
    return before + bad + after + c.good_mix(3, 2)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("field,index,mask,drop", [
    (EspField.SEQ, 0, 0x40, "icv-failed"), (EspField.IV, 0, 0x01, "icv-failed"),
    (EspField.CIPHERTEXT, 0, 0x80, "icv-failed"), (EspField.ICV, 0, 0x01, "icv-failed"),
    (EspField.SPI, 3, 0x01, "unknown-spi"),
], ids=["seq", "iv", "ciphertext", "icv", "spi"])
def test_flipped_byte(preset: str, field: EspField, index: int, mask: int, drop: str, exchange,
                      scenario_of) -> None:
    """E9: a flipped bit anywhere under the ICV (sequence number, IV, ciphertext, ICV itself)
    means discard and audit (icv-failed); in the SPI it names no SA (E17, unknown-spi). The
    sequence flip lands far ahead of the window, so it also checks E7: the window must not move
    (the good packets 101..103 are still accepted)."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.esp(BAD, 0, 4, corrupt=Corruption(flip=field, index=index, mask=mask), drop=drop)]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {drop: 1})


@pytest.mark.parametrize("preset", PRESETS)
def test_corrupted_trailer_fails_icv(preset: str, exchange, scenario_of) -> None:
    """E9: the last ciphertext byte (the encrypted next header) flipped: icv-failed, never a
    next-header or padding verdict (the ICV is checked before decryption, RFC 4303 §3.4.4)."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    probe = c.esp(BAD, 0, 4)
    ct_len = len(probe.frame) - _ct_start(c, probe) - c.encoder(c.sa_in.spec).transform.icv_len
    bad = [c.esp(BAD, 0, 4, corrupt=Corruption(flip=EspField.CIPHERTEXT, index=ct_len - 1, mask=0x04),
                 drop="icv-failed")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"icv-failed": 1})


def _ct_start(c: Crafter, pkt: CraftedPacket) -> int:
    """Offset of the ciphertext in ``pkt.frame`` (after the outer header, ESP header and IV)."""
    l3 = pkt.frame[14:]
    ip_len = 20 if l3[0] >> 4 == 4 else 40
    return 14 + ip_len + 8 + c.encoder(c.sa_in.spec).transform.iv_len


@pytest.mark.parametrize("preset", PRESETS)
def test_wrong_pad_bytes_with_valid_icv(preset: str, exchange, scenario_of) -> None:
    """E10 (receiver SHOULD check) and secgw's library engine (pad bytes must be 1..n): zero
    pad bytes under a valid ICV are dropped as bad-padding."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    enc = c.encoder(c.sa_in.spec)
    n = len(enc.default_padding(len(c.inbound_inner(BAD, 0)) if c.sa_in.is_tunnel else _transport_len(c)))
    pad = bytes(n) if n else bytes(enc.transform.pad_align)  # no padding needed: add a zero block
    bad = [c.esp(BAD, 0, 4, padding=pad, drop="bad-padding")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"bad-padding": 1})


def _transport_len(c: Crafter) -> int:
    """Transport mode pads the upper-layer payload: the packet minus its IP header."""
    inner = c.inbound_inner(BAD, 0)
    return len(inner) - (20 if inner[0] >> 4 == 4 else 40)


@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.parametrize("pad_len", [0xFF, 0xFE], ids=["pad255", "pad254"])
def test_pad_length_larger_than_payload(preset: str, pad_len: int, exchange, scenario_of) -> None:
    """E12: a Pad Length larger than the decrypted payload, under a valid ICV, means drop."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.esp(BAD, 0, 4, corrupt=Corruption(pad_len_field=pad_len), drop="bad-padding")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"bad-padding": 1})


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64"])
def test_wrong_next_header_in_tunnel(preset: str, exchange, scenario_of) -> None:
    """ESP-NH / SG-NEXT-HEADER: a tunnel SA carries one inner family; next header 41 on an
    IPv4-inner SA (4 on an IPv6-inner SA), valid ICV, is dropped (bad-next-header)."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    wrong = 41 if c.sa_in.inner_family.value == 4 else 4
    bad = [c.esp(BAD, 0, 4, next_header=wrong, drop="bad-next-header"),
           c.esp(BAD, 1, 5, next_header=17, drop="bad-next-header")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"bad-next-header": 2})


@pytest.mark.parametrize("preset", PRESETS)
def test_dummy_packet_discarded_silently(preset: str, exchange, scenario_of) -> None:
    """E13: next header 59 marks a dummy packet (RFC 4303 §2.6): the receiver discards it
    silently (nothing forwarded) and it does not disturb the SA."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.esp(BAD, 0, 4, next_header=59, drop="dummy-packet"),
           c.esp(BAD, 1, 5, next_header=59, drop="dummy-packet")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"dummy-packet": 2})


@pytest.mark.parametrize("preset", PRESETS)
def test_truncated_packets(preset: str, exchange, scenario_of) -> None:
    """E19: ESP cut short by one and by three bytes: the ciphertext is no longer a multiple of
    the alignment (4, or the cipher block), which the receiver checks before any crypto."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    bad = [c.esp(BAD, 0, 4, corrupt=Corruption(truncate=1), drop="esp-truncated"),
           c.esp(BAD, 1, 5, corrupt=Corruption(truncate=3), drop="esp-truncated")]
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"esp-truncated": 2})


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "tun66-aes256cbc-sha256-esn-w64"])
def test_runt_esp_packets(preset: str, exchange, scenario_of) -> None:
    """E19: packets too short for ESP header + IV + ICV (+ the 2-byte trailer), on the SA's own
    SPI and tunnel addresses: only the SPI; header only; header + IV; header + IV + ICV - 1."""
    sc = scenario_of(preset)
    c = Crafter(sc)
    full = c.esp(BAD, 0, 4)
    t = c.encoder(c.sa_in.spec).transform
    l3 = full.frame[14:]
    ip_len = 20 if l3[0] >> 4 == 4 else 40
    bad = []
    for k, esp_len in enumerate((4, 8, 8 + t.iv_len, 8 + t.iv_len + t.icv_len - 1)):
        bad.append(CraftedPacket(BAD, k, full.port, full.frame[:14] + _cut(l3, ip_len + esp_len), "esp-truncated"))
    assert_dropped(exchange.packets(sc, _around(c, bad)), {"esp-truncated": 4})


def _cut(l3: bytes, length: int) -> bytes:
    """The first ``length`` bytes of an IP packet with its length field (and IPv4 checksum) fixed."""
    out = bytearray(l3[:length])
    if out[0] >> 4 == 4:
        out[2:4] = length.to_bytes(2, "big")
        out[10:12] = b"\x00\x00"
        return with_checksum(bytes(out[:20])) + bytes(out[20:])
    out[4:6] = (length - 40).to_bytes(2, "big")
    return bytes(out)

