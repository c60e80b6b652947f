"""gateway-ref CLI as a subprocess: check and offline happy paths, each bad input exits 2 with one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scapy.layers.ipsec import ESP as ESP_LAYER
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

ROOT = Path(__file__).resolve().parents[2]
CFG = ROOT / "examples" / "secgw-basic.cfg"
CLEAR = ROOT / "examples" / "port1-clear.pcap"
ESP = ROOT / "examples" / "port0-esp.pcap"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "gateway_ref.cli", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT, env=env)


def test_check_prints_tables() -> None:
    res = _cli("check", "-f", str(CFG))
    assert res.returncode == 0, res.stderr
    assert "1001" in res.stdout and "198.19.0.0/16" in res.stdout
    assert _cli("check", "-f", str(CFG), "--engine", "legacy").returncode == 0


def test_check_config_error_is_one_line_with_position(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cfg"
    bad.write_text("sp ipv4 out esp protect 5 pri 1\nsa out 5 aead_algo aes-128-gcm aead_key 01:02 mode transport\n")
    res = _cli("check", "-f", str(bad))
    assert res.returncode == 2 and res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{bad}:2:") and ": error: " in lines[0]
    assert "Traceback" not in res.stderr


def test_offline_writes_pcaps_and_counters(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _cli("offline", "-f", str(CFG), "-u", "0x1", "-w", "64", "--rx", f"1={CLEAR}", "--rx", f"0={ESP}",
               "--out", str(out), "--burst", "8")
    assert res.returncode == 0, res.stderr
    assert "rx 42" in res.stdout
    counters = json.loads((out / "counters.json").read_text())
    assert counters["rx"] == 42 and counters["rx"] == counters["tx"] + counters["dropped"]
    assert counters["drops"] == {"sp-discard": 1, "sp-no-match": 1}
    port0 = rdpcap(str(out / "port0.pcap"))
    port1 = rdpcap(str(out / "port1.pcap"))
    assert len(port0) == counters["ports"]["0"]["tx"] and len(port1) == counters["ports"]["1"]["tx"]
    assert sum(1 for p in port0 if p.haslayer(ESP_LAYER)) == 16  # 4 SAs x 4 packets
    assert all(Ether(bytes(p)).dst == "02:00:00:00:01:01" for p in port1)


def test_offline_writes_empty_pcaps_for_enabled_ports(tmp_path: Path) -> None:
    res = _cli("offline", "-f", str(CFG), "--rx", f"1={ESP}", "--out", str(tmp_path))  # ESP on a protected port
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counters.json", "port0.pcap", "port1.pcap"]
    assert len(rdpcap(str(tmp_path / "port0.pcap"))) == 0


@pytest.mark.parametrize("args, words", [
    (["--rx", "0=/nonexistent.pcap"], "/nonexistent.pcap: cannot read"),
    (["--rx", f"0={CFG}"], "not a classic pcap"),
    (["--rx", "zero=a.pcap"], "expected PORT=FILE"),
    (["--rx", "0"], "expected PORT=FILE"),
    (["--rx", f"0={ESP}", "-u", "xyz"], "hex port mask"),
    (["--rx", f"0={ESP}", "-u", "0"], "must not be 0"),
    (["--rx", f"0={ESP}", "--burst", "0"], "--burst 0"),
    (["--rx", f"0={ESP}", "-w", "-1"], "-w -1"),
    (["--rx", f"0={ESP}", "--mtu", "0"], "mtu must be 1..65535, got 0"),
    (["--rx", f"0={ESP}", "--port-mac", "1=02:00:00:00:d0"], "expected PORT=MAC"),
    (["--rx", f"0={ESP}", "--port-mac", "1=02:00:00:00:d0:0g"], "expected PORT=MAC"),
    (["--rx", f"0={ESP}", "--port-mac", "1=02:00:00:00:d0:01", "--port-mac", "1=02:00:00:00:d0:02"], "given twice"),
    (["--rx", f"0={ESP}", "-p", "0x2"], "--rx ports [0] are not enabled by -p 0x2"),
    (["--rx", f"1={CLEAR}", "-p", "0x2", "-u", "0x1"], "unprotected ports [0] are not among the enabled ports [1]"),
    ([], "--rx"),
])
def test_offline_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    res = _cli("offline", "-f", str(CFG), "--out", str(tmp_path / "o"), *args)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in res.stderr


def test_missing_cfg_file_exits_2() -> None:
    res = _cli("check", "-f", "/nonexistent.cfg")
    assert res.returncode == 2 and res.stderr.startswith("/nonexistent.cfg:1:1: error:")


def test_offline_port_macs_and_mtu(tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = _cli("offline", "-f", str(CFG), "--rx", f"1={CLEAR}", "--out", str(out),
               "--port-mac", "0=02:00:00:00:d0:00", "--port-mac", "1=02:00:00:00:d0:01", "--mtu", "120")
    assert res.returncode == 0, res.stderr
    counters = json.loads((out / "counters.json").read_text())
    port0 = rdpcap(str(out / "port0.pcap"))
    assert port0 and all(Ether(bytes(p)).src == "02:00:00:00:d0:00" for p in port0)
    assert all(len(bytes(p)) - 14 <= 120 for p in port0)
    assert counters["drops"]["mtu-exceeded"] > 0 and counters["rx"] == counters["tx"] + counters["dropped"]


def test_offline_route_to_a_port_outside_p_is_dropped(tmp_path: Path) -> None:
    res = _cli("offline", "-f", str(CFG), "-w", "64", "--rx", f"0={ESP}", "-p", "0x1", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    counters = json.loads((tmp_path / "counters.json").read_text())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counters.json", "port0.pcap"]  # port 1 not enabled
    assert counters["tx"] == 0 and counters["drops"]["no-tx-port"] > 0
    assert counters["rx"] == counters["dropped"]


def test_offline_unprotected_mask_without_inbound_sa_is_refused(tmp_path: Path) -> None:
    key = ":".join(["ab"] * 20)
    cfg = tmp_path / "out-only.cfg"
    cfg.write_text(f"sp ipv4 out esp protect 1001 pri 1 src 198.18.1.0/24 dst 198.19.1.0/24\n"
                   f"sa out 1001 aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                   "src 198.18.255.1 dst 198.19.255.1\nrt ipv4 dst 198.19.0.0/16 port 0\n")
    res = _cli("offline", "-f", str(cfg), "--rx", f"1={CLEAR}", "--out", str(tmp_path / "o"))
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "Cannot use unprotected portmask without configured SA inbound" in res.stderr


@pytest.mark.parametrize("args, words", [
    (["-f", str(CFG), "--port", "0=lo", "--mtu", "0"], "--mtu 0: allowed 1..65535"),
    (["-f", str(CFG), "--port", "0=lo", "--mtu", "65536"], "--mtu 65536: allowed 1..65535"),
])
def test_live_bad_mtu_exits_2_with_one_line(args: list[str], words: str) -> None:
    res = _cli("live", *args)
    assert res.returncode == 2 and res.stderr.strip() == f"gateway-ref: error: {words}"


def test_live_unprotected_mask_without_inbound_sa_is_refused_before_any_interface(tmp_path: Path) -> None:
    key = ":".join(["ab"] * 20)
    cfg = tmp_path / "out-only.cfg"
    cfg.write_text(f"sp ipv4 out esp protect 1001 pri 1 src 198.18.1.0/24 dst 198.19.1.0/24\n"
                   f"sa out 1001 aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                   "src 198.18.255.1 dst 198.19.255.1\n")
    res = _cli("live", "-f", str(cfg), "--port", "0=ipxh-nonexistent")
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "Cannot use unprotected portmask without configured SA inbound" in res.stderr
