"""``--dut external``: lab file parsing and template rendering (no privileges), and, as root, a
lab file whose command template starts ``gateway-ref live`` in a rig, end to end."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether

from harness.dut.base import DutOptions, DutUnavailable
from harness.dut.external import ExternalDut
from harness.dut.external_lab import LabError, load_lab, parse_lab, placeholders, render
from harness.topo import Rig, require_netns, rig

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "lab-example.toml"
KEY_OUT, KEY_IN = bytes(range(1, 21)), bytes(range(101, 121))
GW, PEER = "198.18.255.1", "198.19.255.1"

MINIMAL = """
[[port]]
id = 0
tester_iface = "t0"
dut_iface = "d0"
[[port]]
id = 1
tester_iface = "t1"
"""


def test_example_lab_renders_the_dpdk_secgw_command() -> None:
    lab = load_lab(EXAMPLE)
    assert [p.tester_iface for p in lab.ports] == ["ipxh-tu0", "ipxh-tp0"]
    assert lab.tester_netns == "ipxh-lab-tester" and lab.settle_s == pytest.approx(0.15)
    assert lab.command is not None and lab.command.ready_delay_s == 3.0
    values = placeholders(lab, DutOptions(frozenset({0}), replay_window=64, esn=False), cfg="/w/dut.cfg",
                          workdir="/w", ready_file="/w/ready", counters_file="/w/c.json")
    argv = render(lab.command.start, values, "start")
    assert argv[:4] == ["ip", "netns", "exec", "ipxh-lab-dut"]
    assert "net_af_packet0,iface=ipxh-d0" in argv and "net_af_packet1,iface=ipxh-d1" in argv
    tail = argv[argv.index("--"):]
    assert tail == ["--", "-p", "0x3", "-u", "0x1", "-l", "-w", "64", "-f", "/w/dut.cfg", "--config", "(0,0,1),(1,0,1)"]
    esn = render(lab.command.start, {**values, "esn": "-e", "library": ""}, "start")
    assert "-e" in esn and "-l" not in esn


@pytest.mark.parametrize("text, message", [
    ("", "needs at least one [[port]]"),
    ("[[port]]\nid = 0\n", "port[0]: missing key 'tester_iface'"),
    ('[[port]]\nid = "0"\ntester_iface = "t"\n', "port[0]: id = '0': expected int"),
    (MINIMAL + '[[port]]\nid = 1\ntester_iface = "t9"\n', "duplicate port ids"),
    (MINIMAL + "[dut]\nready_delay_s = 1\n", "[dut]: missing key 'start'"),
    (MINIMAL + '[dut]\nstart = "x \'unclosed"\n', "cannot split"),
    (MINIMAL + '[dut]\nstart = "x"\ncounters_signal = "SIGNOPE"\n', "expected a signal name"),
    ("[[port]\n", "lab.toml: "),
])
def test_bad_lab_files_name_the_key(text: str, message: str) -> None:
    with pytest.raises(LabError) as err:
        parse_lab(text, "lab.toml")
    assert message in str(err.value) and str(err.value).startswith("lab.toml")


def test_unknown_placeholder_and_empty_arguments() -> None:
    lab = parse_lab(MINIMAL + '[dut]\nstart = "gw -f {cfg} {esn} --p0 {port0} --p1 x{port1}"\n', "lab.toml")
    values = placeholders(lab, DutOptions(), cfg="c", workdir="w", ready_file="r", counters_file="k")
    assert render(lab.command.start, values, "s") == ["gw", "-f", "c", "--p0", "d0", "--p1", "x"]
    with pytest.raises(LabError, match=r"unknown placeholder \{port7\}.*known: cfg, .*port0, port1"):
        render(["{port7}"], values, "s")


def test_unreadable_lab_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(DutUnavailable, match="cannot read lab file"):
        ExternalDut(tmp_path / "missing.toml")


def _lab_for(r: Rig, tmp: Path) -> Path:
    p0, p1 = r.by_dut_port(0), r.by_dut_port(1)
    start = (f"ip netns exec {r.dut_ns} env PYTHONPATH={ROOT} {sys.executable} -m gateway_ref.cli live "
             "-f {cfg} --port 0={port0} --port 1={port1} -u {unprotected_mask} -w {replay_window} {esn} "
             "--engine {engine} --ready-file {ready_file} --counters-out {counters_file}")
    path = tmp / "lab.toml"
    path.write_text(f"""
[tester]
netns = "{r.tester_ns}"
settle_ms = 100
[[port]]
id = 0
tester_iface = "{p0.tester_iface}"
dut_iface = "{p0.dut_iface}"
dut_mac = "{p0.dut_mac}"
[[port]]
id = 1
tester_iface = "{p1.tester_iface}"
dut_iface = "{p1.dut_iface}"
dut_mac = "{p1.dut_mac}"
[dut]
start = "{start}"
ready_file = "{{ready_file}}"
ready_timeout_s = 20
counters_file = "{{counters_file}}"
counters_signal = "SIGUSR1"
""")
    return path


def _cfg(r: Rig) -> str:
    hexkey = lambda k: ":".join(f"{b:02x}" for b in k)  # noqa: E731
    return "\n".join([
        "sp ipv4 out esp protect 7 pri 1 dst 198.19.0.0/16 sport 0:65535 dport 0:65535",
        "sp ipv4 in esp protect 8 pri 1 dst 198.18.0.0/16 sport 0:65535 dport 0:65535",
        f"sa out 7 aead_algo aes-128-gcm aead_key {hexkey(KEY_OUT)} mode ipv4-tunnel src {GW} dst {PEER}",
        f"sa in 8 aead_algo aes-128-gcm aead_key {hexkey(KEY_IN)} mode ipv4-tunnel src {PEER} dst {GW}",
        "rt ipv4 dst 198.19.0.0/16 port 0", "rt ipv4 dst 198.18.0.0/16 port 1",
        f"neigh port 0 {r.by_dut_port(0).tester_mac}", f"neigh port 1 {r.by_dut_port(1).tester_mac}", ""])


@pytest.mark.live
def test_external_lab_with_command_template_end_to_end(tmp_path: Path) -> None:
    require_netns()
    with rig() as r:
        dut = ExternalDut(_lab_for(r, tmp_path))
        try:
            dut.configure(_cfg(r), DutOptions(frozenset({0}), replay_window=32))
            p0, p1 = r.by_dut_port(0), r.by_dut_port(1)
            clear = [IP(src="198.18.0.5", dst=f"198.19.0.{i + 1}") / UDP(sport=7, dport=9) / b"ext" for i in range(12)]
            dut.send(1, [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / p) for p in clear])
            peer = SecurityAssociation(ESP, spi=8, crypt_algo="AES-GCM", crypt_key=KEY_IN,
                                       tunnel_header=IP(src=PEER, dst=GW))
            back = [IP(src="198.19.0.1", dst="198.18.0.5") / UDP(sport=9, dport=7) / (b"r%d" % i) for i in range(8)]
            esp = [bytes(Ether(src=p0.tester_mac, dst=p0.dut_mac) / peer.encrypt(p, seq_num=i + 1))
                   for i, p in enumerate(back)]
            dut.send(0, esp + esp[:2])  # the last two are replays: -w 32 must drop them
            got = dut.collect()
            out0 = [f for f in got if f.port == 0]
            out1 = [f for f in got if f.port == 1]
            mine = SecurityAssociation(ESP, spi=7, crypt_algo="AES-GCM", crypt_key=KEY_OUT,
                                       tunnel_header=IP(src=GW, dst=PEER))
            assert [bytes(mine.decrypt(Ether(f.frame)[IP].copy())) for f in out0] == [bytes(p) for p in clear]
            assert [bytes(Ether(f.frame)[IP]) for f in out1] == [bytes(p) for p in back]
            counters = dut.counters()
            assert counters is not None and (counters["rx"], counters["tx"], counters["dropped"]) == (22, 20, 2)
            pid = dut._process.proc.pid  # noqa: SLF001 - the test checks the process really goes away
        finally:
            dut.close()
        assert dut.last_exit == 0
        assert dut.final_counters is not None and dut.final_counters["rx"] == 22
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
