"""``V2Slots``: the TPACKET_V2 slot walk, over a plain buffer laid out as the kernel lays the
ring out (tpacket2_hdr at each slot: status, len, snaplen, mac), including a skipped slot."""
from __future__ import annotations

import struct

from gateway_ref.run.afpacket_rx import HOLE_S, TP_STATUS_KERNEL, TP_STATUS_USER, V2Slots

SIZE, SLOTS, MAC = 256, 16, 64


def ring() -> bytearray:
    return bytearray(SIZE * SLOTS)


def fill(buf: bytearray, slot: int, payload: bytes, *, length: int | None = None) -> None:
    """Put a frame in ``slot`` as the kernel does, status last."""
    base = slot * SIZE
    buf[base + MAC:base + MAC + len(payload)] = payload
    struct.pack_into("<III H", buf, base, TP_STATUS_KERNEL, length or len(payload), len(payload), MAC)
    struct.pack_into("<I", buf, base, TP_STATUS_USER)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_frames_in_ring_order_slots_released_and_wrap() -> None:
    buf = ring()
    slots = V2Slots(buf, SIZE, SLOTS)
    for k in range(12):
        fill(buf, k, b"f%02d" % k)
    assert slots.burst(5) == [b"f%02d" % k for k in range(5)]
    assert all(struct.unpack_from("<I", buf, k * SIZE)[0] == TP_STATUS_KERNEL for k in range(5))
    assert len(slots.burst(100)) == 7
    for k in (12, 13, 14, 15, 0, 1):  # the kernel wraps round
        fill(buf, k, b"w%02d" % k)
    assert slots.burst(100) == [b"w12", b"w13", b"w14", b"w15", b"w00", b"w01"]
    assert slots.holes == 0


def test_a_truncated_frame_is_counted_and_its_slot_released() -> None:
    buf = ring()
    slots = V2Slots(buf, SIZE, SLOTS)
    fill(buf, 0, b"abc", length=3000)
    fill(buf, 1, b"ok")
    assert slots.burst(10) == [b"ok"] and slots.truncated == 1


def test_a_skipped_slot_is_passed_once_it_has_lasted() -> None:
    buf, clock = ring(), Clock()
    slots = V2Slots(buf, SIZE, SLOTS, clock=clock)
    fill(buf, 0, b"a")
    assert slots.burst(10) == [b"a"]
    for k in (2, 3):  # the kernel skipped slot 1
        fill(buf, k, b"s%d" % k)
    assert slots.burst(10) == []  # maybe a copy in flight: wait
    clock.now += HOLE_S / 2
    assert slots.burst(10) == []
    clock.now += HOLE_S
    assert slots.burst(10) == [] and slots.holes == 1  # moved past the hole
    assert slots.burst(10) == [b"s2", b"s3"]


def test_a_slot_that_is_only_late_is_waited_for() -> None:
    buf, clock = ring(), Clock()
    slots = V2Slots(buf, SIZE, SLOTS, clock=clock)
    fill(buf, 1, b"b")  # slot 0 is still being copied
    assert slots.burst(10) == []
    fill(buf, 0, b"a")  # ... and now it is there
    clock.now += 10 * HOLE_S
    assert slots.burst(10) == [b"a", b"b"] and slots.holes == 0


def test_an_empty_ring_never_moves_the_cursor() -> None:
    buf, clock = ring(), Clock()
    slots = V2Slots(buf, SIZE, SLOTS, clock=clock)
    for _ in range(3):
        clock.now += 10 * HOLE_S
        assert slots.burst(10) == []
    fill(buf, 0, b"first")
    assert slots.burst(10) == [b"first"] and slots.holes == 0
