"""pcap codec: round trips, foreign variants, clear errors, and files other tools read."""
from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from harness.io.pcap import PcapError, decode_pcap, encode_pcap, read_pcap, write_pcap

FRAMES = [
    (1_700_000_000_123_456_789, bytes.fromhex("025848020000025848010000") + b"\x08\x00" + bytes(46)),
    (1_700_000_000_123_457_001, bytes(range(256)) * 5),
]


def test_round_trip_keeps_ns_timestamps_and_bytes() -> None:
    assert decode_pcap(encode_pcap(FRAMES)) == FRAMES


def test_header_is_ns_magic_ethernet() -> None:
    data = encode_pcap([])
    assert struct.unpack("<IHHiIII", data) == (0xA1B23C4D, 2, 4, 0, 0, 262144, 1)


def test_reads_big_endian_microsecond_files() -> None:
    frame = b"\x02" * 60
    data = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    data += struct.pack(">IIII", 10, 7, len(frame), len(frame)) + frame
    assert decode_pcap(data) == [(10_000_007_000, frame)]


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"\xa1\xb2", "shorter than the 24-byte"),
        (b"\x0a\x0d\x0d\x0a" + bytes(40), "is not classic pcap"),
        (struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101), "linktype 101"),
        (encode_pcap(FRAMES)[:-3], "record 1 at byte"),
        (encode_pcap(FRAMES)[:30], "truncated record header"),
    ],
)
def test_bad_input_names_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(PcapError, match=reason):
        decode_pcap(data, source="in.pcap")


def test_scapy_reads_our_file(tmp_path) -> None:
    from scapy.utils import rdpcap

    path = tmp_path / "out.pcap"
    write_pcap(path, FRAMES)
    packets = rdpcap(str(path))
    assert [bytes(p) for p in packets] == [f for _, f in FRAMES]
    assert int(packets[0].time * 10**9) // 1000 == FRAMES[0][0] // 1000
    assert read_pcap(path) == FRAMES


@pytest.mark.oracle
@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_tshark_reads_our_file_with_ns_timestamps(tmp_path) -> None:
    path = tmp_path / "out.pcap"
    write_pcap(path, FRAMES)
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", "-e", "frame.time_epoch", "-e", "frame.len"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.split("\n")
    rows = [line.split("\t") for line in out if line]
    assert [int(length) for _, length in rows] == [len(f) for _, f in FRAMES]
    assert [r[0].replace(".", "")[-9:] for r in rows] == [str(ts)[-9:] for ts, _ in FRAMES]
