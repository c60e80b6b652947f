"""``gateway-ref live`` in a namespace rig (root): ESP both ways checked with scapy's
SecurityAssociation (never with gateway_ref's ESP code), ready file, -t stats lines, SIGUSR1
and SIGTERM counter files, two workers, one-line errors."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether

from harness.io.afpacket import AfPacketPort
from harness.topo import Rig, require_netns, rig, netns_argv

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[3]
KEY_OUT = bytes(range(1, 21))  # 16-byte AES key + 4-byte salt (RFC 4106 §8.1)
KEY_IN = bytes(range(101, 121))
GW_OUTER, PEER_OUTER = "198.18.255.1", "198.19.255.1"
READY_WAIT_S = 20.0


def cfg_text(r: Rig) -> str:
    """tun44 AES-128-GCM: 198.18.0.0/16 (protected side, port 1) <-> 198.19.0.0/16 (port 0)."""
    k_out, k_in = (":".join(f"{b:02x}" for b in k) for k in (KEY_OUT, KEY_IN))
    p0, p1 = r.by_dut_port(0), r.by_dut_port(1)
    return "\n".join([
        "sp ipv4 out esp protect 1001 pri 1 dst 198.19.0.0/16 sport 0:65535 dport 0:65535",
        "sp ipv4 in esp protect 2001 pri 1 dst 198.18.0.0/16 sport 0:65535 dport 0:65535",
        f"sa out 1001 aead_algo aes-128-gcm aead_key {k_out} mode ipv4-tunnel src {GW_OUTER} dst {PEER_OUTER}",
        f"sa in 2001 aead_algo aes-128-gcm aead_key {k_in} mode ipv4-tunnel src {PEER_OUTER} dst {GW_OUTER}",
        "rt ipv4 dst 198.19.0.0/16 port 0",
        "rt ipv4 dst 198.18.0.0/16 port 1",
        f"neigh port 0 {p0.tester_mac}",
        f"neigh port 1 {p1.tester_mac}",
        "",
    ])


def peer_sa(spi: int, key: bytes, src: str, dst: str) -> SecurityAssociation:
    return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key,
                               tunnel_header=IP(src=src, dst=dst))


class LiveGateway:
    """``gateway-ref live`` as a subprocess in the rig's DUT namespace."""

    def __init__(self, r: Rig, tmp: Path, *extra: str) -> None:
        self.cfg = tmp / "gw.cfg"
        self.cfg.write_text(cfg_text(r))
        self.ready = tmp / "ready.json"
        self.counters = tmp / "counters.json"
        argv = [sys.executable, "-m", "gateway_ref.cli", "live", "-f", str(self.cfg), "-u", "0x1",
                "--port", f"0={r.by_dut_port(0).dut_iface}", "--port", f"1={r.by_dut_port(1).dut_iface}",
                "--ready-file", str(self.ready), "--counters-out", str(self.counters), "--max-runtime", "60",
                *extra]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen(netns_argv(r.dut_ns, argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=ROOT, env=env)
        deadline = time.monotonic() + READY_WAIT_S
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"gateway not ready: {self.proc.returncode} {self.proc.stderr.read() if self.proc.stderr else ''}")
            time.sleep(0.02)

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            out, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out, err


@pytest.fixture(scope="module")
def live_rig() -> Iterator[Rig]:
    require_netns()
    with rig() as r:
        yield r


def _exchange(r: Rig, port: int, frames: list[bytes], out_port: int, expect: int) -> list[bytes]:
    """Send ``frames`` to DUT port ``port``; return what DUT port ``out_port`` emitted (bounded wait)."""
    tx_link, rx_link = r.by_dut_port(port), r.by_dut_port(out_port)
    with AfPacketPort(tx_link.tester_iface, netns=r.tester_ns) as tx, \
            AfPacketPort(rx_link.tester_iface, netns=r.tester_ns) as rx:
        rx.start_capture()
        tx.send(frames, duration_limit_s=5)
        deadline = time.monotonic() + 3
        time.sleep(0.05)
        got = rx.stop_capture()
        while len(got) < expect and time.monotonic() < deadline:
            rx.start_capture()
            time.sleep(0.1)
            got += rx.stop_capture()
    return [f for _, f in got]


def _plain(r: Rig, n: int) -> list[IP]:
    return [IP(src=f"198.18.0.{10 + i % 50}", dst="198.19.0.7", ttl=64, id=i) / UDP(sport=1000 + i, dport=4000)
            / (b"live%04d" % i) for i in range(n)]


def test_encrypts_decrypts_stats_and_sigterm_counters(live_rig: Rig, tmp_path: Path) -> None:
    gw = LiveGateway(live_rig, tmp_path, "-t", "0.2")
    try:
        ready = json.loads(gw.ready.read_text())
        assert ready["pid"] > 0
        p0, p1 = live_rig.by_dut_port(0), live_rig.by_dut_port(1)
        clear = _plain(live_rig, 40)
        frames = [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / pkt) for pkt in clear]
        out = _exchange(live_rig, 1, frames, 0, len(clear))
        assert len(out) == len(clear)
        sa = peer_sa(1001, KEY_OUT, GW_OUTER, PEER_OUTER)
        for i, (frame, sent) in enumerate(zip(out, clear)):
            eth = Ether(frame)
            assert (eth.src, eth.dst) == (p0.dut_mac, p0.tester_mac)
            assert eth[IP].src == GW_OUTER and eth[IP].dst == PEER_OUTER and eth[ESP].spi == 1001
            assert eth[ESP].seq == i + 1
            assert bytes(sa.decrypt(eth[IP].copy())) == bytes(sent)

        inbound = peer_sa(2001, KEY_IN, PEER_OUTER, GW_OUTER)
        back = [IP(src="198.19.0.7", dst=f"198.18.0.{20 + i}") / UDP(sport=53, dport=2000 + i) / (b"back%d" % i)
                for i in range(30)]
        esp = [bytes(Ether(src=p0.tester_mac, dst=p0.dut_mac) / inbound.encrypt(pkt, seq_num=i + 1))
               for i, pkt in enumerate(back)]
        got = _exchange(live_rig, 0, esp, 1, len(back))
        assert [bytes(Ether(f)[IP]) for f in got] == [bytes(p) for p in back]
        assert {(Ether(f).src, Ether(f).dst) for f in got} == {(p1.dut_mac, p1.tester_mac)}

        os.kill(ready["pid"], signal.SIGUSR1)
        deadline = time.monotonic() + 5
        while not gw.counters.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert json.loads(gw.counters.read_text())["rx"] == 70
        time.sleep(0.3)  # let at least one stats line come out
    finally:
        code, stdout, stderr = gw.stop()
    assert code == 0, stderr
    counters = json.loads(gw.counters.read_text())
    assert counters["rx"] == 70 and counters["tx"] == 70 and counters["dropped"] == 0
    assert counters["sa"]["out/1001"]["packets"] == 40 and counters["sa"]["in/2001"]["packets"] == 30
    assert counters["kernel"]["0"]["packets"] == 30 and counters["kernel"]["1"]["drops"] == 0
    assert counters["live"]["0"]["tx_frames"] == 40
    stats = [line for line in stdout.splitlines() if line.startswith("gateway-ref: rx ")]
    assert stats and "rx-pps" in stats[-1]
    assert "gateway-ref live: rx 70 tx 70 dropped 0" in stdout


def test_bad_esp_is_dropped_and_counted_not_fatal(live_rig: Rig, tmp_path: Path) -> None:
    gw = LiveGateway(live_rig, tmp_path)
    try:
        p0 = live_rig.by_dut_port(0)
        inbound = peer_sa(2001, KEY_IN, PEER_OUTER, GW_OUTER)
        good = Ether(src=p0.tester_mac, dst=p0.dut_mac) / inbound.encrypt(IP(src="198.19.0.7", dst="198.18.0.5")
                                                                          / UDP() / b"x", seq_num=1)
        raw = bytearray(bytes(good))
        raw[-1] ^= 0xFF  # corrupt the ICV
        runt = bytes(good)[:20]
        assert _exchange(live_rig, 0, [bytes(raw), runt, bytes(good)], 1, 1)
    finally:
        code, _out, err = gw.stop(signal.SIGINT)
    assert code == 0, err
    counters = json.loads(gw.counters.read_text())
    assert counters["rx"] == 3 and counters["tx"] == 1 and counters["dropped"] == 2


def test_two_workers_split_by_direction(live_rig: Rig, tmp_path: Path) -> None:
    gw = LiveGateway(live_rig, tmp_path, "--workers", "2")
    try:
        assert len(json.loads(gw.ready.read_text())["workers"]) == 2
        p0, p1 = live_rig.by_dut_port(0), live_rig.by_dut_port(1)
        clear = _plain(live_rig, 25)
        out = _exchange(live_rig, 1, [bytes(Ether(src=p1.tester_mac, dst=p1.dut_mac) / p) for p in clear], 0, 25)
        sa = peer_sa(1001, KEY_OUT, GW_OUTER, PEER_OUTER)
        assert [bytes(sa.decrypt(Ether(f)[IP].copy())) for f in out] == [bytes(p) for p in clear]
        inbound = peer_sa(2001, KEY_IN, PEER_OUTER, GW_OUTER)
        back = [IP(src="198.19.0.9", dst="198.18.0.9") / UDP(dport=9) / (b"%d" % i) for i in range(15)]
        esp = [bytes(Ether(src=p0.tester_mac, dst=p0.dut_mac) / inbound.encrypt(p, seq_num=i + 1))
               for i, p in enumerate(back)]
        assert [bytes(Ether(f)[IP]) for f in _exchange(live_rig, 0, esp, 1, 15)] == [bytes(p) for p in back]
    finally:
        code, stdout, err = gw.stop()
    assert code == 0, err
    counters = json.loads(gw.counters.read_text())
    assert counters["workers"] == 2
    assert (counters["rx"], counters["tx"], counters["dropped"]) == (40, 40, 0)
    assert counters["sa"]["out/1001"]["packets"] == 25 and counters["sa"]["in/2001"]["packets"] == 15
    assert "gateway-ref live: rx 40 tx 40" in stdout


def test_missing_interface_is_one_line_error(live_rig: Rig, tmp_path: Path) -> None:
    cfg = tmp_path / "gw.cfg"
    cfg.write_text(cfg_text(live_rig))
    argv = [sys.executable, "-m", "gateway_ref.cli", "live", "-f", str(cfg), "--port", "0=ipxh-nonexistent"]
    res = subprocess.run(netns_argv(live_rig.dut_ns, argv), capture_output=True, text=True, timeout=30,
                         cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert res.returncode == 2
    assert res.stderr.strip() == "gateway-ref: error: port 0 (ipxh-nonexistent): No such device"


def test_port_transmit_skips_and_counts_a_refused_frame(live_rig: Rig) -> None:
    from harness.topo import call_in_netns

    from gateway_ref.run.afpacket import PortIo

    link = live_rig.by_dut_port(1)
    head = bytes.fromhex(link.tester_mac.replace(":", "") + link.dut_mac.replace(":", "")) + b"\x88\xb5"
    frames = [head + i.to_bytes(2, "big") * 23 for i in range(300)]
    frames[100] = head + bytes(3000)  # above the 1500-byte MTU: EMSGSIZE
    io = call_in_netns(live_rig.dut_ns, lambda: PortIo(1, link.dut_iface, geometry=None))
    with AfPacketPort(link.tester_iface, netns=live_rig.tester_ns) as rx:
        rx.start_capture()
        try:
            assert io.transmit(frames) == 299
        finally:
            io.close()
        got = [f for _, f in rx.stop_capture()]
    assert (io.tx_frames, io.tx_errors) == (299, 1)
    assert got == frames[:100] + frames[101:]
    assert io.mac == bytes.fromhex(link.dut_mac.replace(":", ""))
