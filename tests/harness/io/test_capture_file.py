"""pcapng reading (blocks built by hand here from draft-ietf-opsawg-pcapng §4, and, when
installed, files converted by Wireshark's editcap) and the pcap/pcapng dispatch."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harness.io.capture_file import decode_pcapng, read_capture
from harness.io.pcap import PcapError, write_pcap

FRAMES = [bytes.fromhex("020000007e00020000000d00") + b"\x08\x00" + bytes(range(46)),
          bytes.fromhex("020000007e01020000000d01") + b"\x86\xdd" + bytes(range(7, 70))]


def block(kind: int, body: bytes, order: str = "<") -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(order + "II", kind, total) + body + struct.pack(order + "I", total)


def shb(order: str = "<") -> bytes:
    return block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1), order)


def idb(order: str = "<", linktype: int = 1, tsresol: int | None = None) -> bytes:
    opts = b""
    if tsresol is not None:
        opts = struct.pack(order + "HH", 9, 1) + bytes([tsresol]) + b"\x00" * 3 + struct.pack(order + "HH", 0, 0)
    return block(1, struct.pack(order + "HHI", linktype, 0, 65535) + opts, order)


def epb(frame: bytes, ts_units: int, order: str = "<", iface: int = 0) -> bytes:
    head = struct.pack(order + "IIIII", iface, ts_units >> 32, ts_units & 0xFFFFFFFF, len(frame), len(frame))
    return block(6, head + frame, order)


@pytest.mark.parametrize("order", ["<", ">"])
def test_enhanced_packets_both_byte_orders_default_microseconds(order: str) -> None:
    data = shb(order) + idb(order) + epb(FRAMES[0], 1_500_000, order) + epb(FRAMES[1], 1_500_001, order)
    assert decode_pcapng(data) == [(1_500_000_000, FRAMES[0]), (1_500_001_000, FRAMES[1])]


def test_tsresol_decimal_and_binary_and_simple_packets() -> None:
    data = (shb() + idb(tsresol=9) + idb(tsresol=0x80 | 10) + epb(FRAMES[0], 123_456_789_012)
            + epb(FRAMES[1], 2048, iface=1) + block(3, struct.pack("<I", len(FRAMES[0])) + FRAMES[0])
            + block(4, b"name resolution is skipped"))
    assert decode_pcapng(data) == [(123_456_789_012, FRAMES[0]), (2_000_000_000, FRAMES[1]), (0, FRAMES[0])]


def test_new_section_resets_interfaces_and_byte_order() -> None:
    data = shb("<") + idb("<") + epb(FRAMES[0], 1) + shb(">") + idb(">", tsresol=9) + epb(FRAMES[1], 7, ">")
    assert decode_pcapng(data) == [(1000, FRAMES[0]), (7, FRAMES[1])]


@pytest.mark.parametrize(("data", "needle"), [
    (shb() + idb(linktype=113) + epb(FRAMES[0], 1), "link type 113"),
    (shb() + epb(FRAMES[0], 1), "interface 0, but only 0"),
    (shb() + idb() + epb(FRAMES[0], 1)[:-8], "runs past the end"),
    (shb()[:8] + b"\x00\x00\x00\x00" + shb()[12:], "byte-order magic"),
])
def test_errors_name_the_block(data: bytes, needle: str) -> None:
    with pytest.raises(PcapError, match="x.pcapng: pcapng block at byte") as info:
        decode_pcapng(data, "x.pcapng")
    assert needle in str(info.value)


def test_read_capture_dispatches_on_magic(tmp_path: Path) -> None:
    records = [(5, FRAMES[0]), (9_000_000_001, FRAMES[1])]
    write_pcap(tmp_path / "a.pcap", records)
    (tmp_path / "b.pcapng").write_bytes(shb() + idb(tsresol=9) + b"".join(epb(f, t) for t, f in records))
    assert read_capture(tmp_path / "a.pcap") == records == read_capture(tmp_path / "b.pcapng")


@pytest.mark.skipif(shutil.which("editcap") is None, reason="Wireshark's editcap is not installed")
def test_editcap_pcapng_reads_like_the_pcap(tmp_path: Path) -> None:
    records = [(1_000_000_007 * i, f) for i, f in enumerate(FRAMES * 3)]
    write_pcap(tmp_path / "a.pcap", records)
    subprocess.run(["editcap", "-F", "pcapng", str(tmp_path / "a.pcap"), str(tmp_path / "a.pcapng")],
                   check=True, capture_output=True, timeout=60)
    assert read_capture(tmp_path / "a.pcapng") == records
