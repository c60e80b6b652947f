"""gateway_ref.pcap: round trips, both magics, foreign readers (tshark, scapy), clear errors."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from scapy.utils import rdpcap, wrpcap
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP

from gateway_ref.pcap import PcapError, PcapRecord, format_pcap, parse_pcap, read_pcap, write_pcap


def _frames() -> list[bytes]:
    return [bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(src="198.18.0.1", dst="198.19.0.1")
                  / UDP(sport=1000 + i, dport=2000) / (b"x" * i)) for i in range(5)]


@pytest.mark.parametrize("nanosecond", [True, False])
def test_round_trip_keeps_bytes_and_times(tmp_path: Path, nanosecond: bool) -> None:
    recs = [PcapRecord(1_700_000_000_123_456_000 + i * 1000, f) for i, f in enumerate(_frames())]
    path = tmp_path / "a.pcap"
    write_pcap(path, recs, nanosecond=nanosecond)
    assert read_pcap(path) == recs


def test_nanosecond_precision_kept_only_with_ns_magic() -> None:
    rec = PcapRecord(5_000_000_001, b"\x00" * 60)
    assert parse_pcap(format_pcap([rec]))[0].ts_ns == 5_000_000_001
    assert parse_pcap(format_pcap([rec], nanosecond=False))[0].ts_ns == 5_000_000_000


def test_scapy_reads_ours_and_we_read_scapys(tmp_path: Path) -> None:
    frames = _frames()
    ours = tmp_path / "ours.pcap"
    write_pcap(ours, [PcapRecord(i, f) for i, f in enumerate(frames)])
    assert [bytes(p) for p in rdpcap(str(ours))] == frames
    theirs = tmp_path / "theirs.pcap"
    wrpcap(str(theirs), [Ether(f) for f in frames])  # microsecond magic, written by scapy
    assert [r.data for r in read_pcap(theirs)] == frames


def test_big_endian_file_is_read() -> None:
    frame = _frames()[0]
    blob = struct.pack(">IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + struct.pack(">IIII", 7, 5, len(frame), len(frame)) + frame
    assert parse_pcap(blob) == [PcapRecord(7_000_005_000, frame)]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_tshark_opens_our_output(tmp_path: Path) -> None:
    path = tmp_path / "t.pcap"
    write_pcap(path, [PcapRecord(i * 1000, f) for i, f in enumerate(_frames())])
    res = subprocess.run(["tshark", "-r", str(path), "-c", "1"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "198.18.0.1" in res.stdout


@pytest.mark.parametrize("blob, words", [
    (b"", "24-byte header"),
    (b"hello world, this is not a pcap at all", "not a classic pcap"),
    (b"\x0a\x0d\x0d\x0a" + b"\x00" * 30, "pcapng"),
    (format_pcap([PcapRecord(0, b"\x01" * 20)])[:-5], "truncated"),
    (format_pcap([PcapRecord(0, b"\x01" * 20)])[:30], "truncated record header"),
])
def test_bad_files_name_the_file(tmp_path: Path, blob: bytes, words: str) -> None:
    path = tmp_path / "bad.pcap"
    path.write_bytes(blob)
    with pytest.raises(PcapError) as err:
        read_pcap(path)
    assert str(path) in str(err.value) and words in str(err.value)


def test_missing_file_and_wrong_linktype(tmp_path: Path) -> None:
    with pytest.raises(PcapError, match="cannot read"):
        read_pcap(tmp_path / "nope.pcap")
    blob = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
    with pytest.raises(PcapError, match="link type 101"):
        parse_pcap(blob, "raw.pcap")
