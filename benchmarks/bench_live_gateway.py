"""``gateway-ref live`` speed on a veth rig: 64-byte AES-128-GCM IPv4 tunnel traffic (needs root).

Rows, all in one run on one rig:
(a) offered load: clear 64-byte frames into the protected port at a fixed rate (default 250 k
    pps) for a bounded count; forwarded pps (kernel RX stamps of the ESP output) and loss.
(b) capacity by draining a backlog (measured-baselines.md): the gateway is SIGSTOPped, N
    frames are queued into its RX ring (large ring), then SIGCONT; time from SIGCONT to the
    last output frame's kernel stamp; CPU µs per packet from /proc/PID/stat (utime+stime).
    Outbound (encrypt) and inbound (decrypt) separately, one process.
(c) the same backlog in both directions at once, 1 process vs ``--workers 2``; the ratio of
    their forwarded pps (target >= 1.7: one core per direction).
(d) latency at a low load per receive mode (``--rx-mode v3`` with 1 ms retire, the old
    default; ``v2``, the new one; ``v2 --busy-poll 200``): clear frames at ``--latency-rate``
    pps, each ESP output matched to its input by sequence number; kernel RX stamp of the
    output minus CLOCK_REALTIME just before its input burst was sent; min / p50 / p99, and
    the gateway's CPU seconds per wall second. Rows (a)-(c) use the mode ``--rx-mode`` names
    for (a), v3 for the drains (a backlog of 64-byte frames fits a V3 ring far better: V2
    spends a 2 KiB slot per frame).
Every send is bounded in count and time; the rig is removed at exit.

    sudo .venv/bin/python benchmarks/bench_live_gateway.py [--frames 200000] [--rate 250000] [--sa-type cpu-crypto]
        [--rx-mode v2] [--latency-rate 5000] [--latency-frames 5000]
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scapy.layers.inet import IP, UDP  # noqa: E402
from scapy.layers.ipsec import ESP, SecurityAssociation  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from harness.io.afpacket import AfPacketConfig, AfPacketPort  # noqa: E402
from harness.topo import Rig, netns_argv, rig  # noqa: E402
from harness.topo.require import netns_missing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KEY_OUT, KEY_IN = bytes(range(1, 21)), bytes(range(101, 121))
GW, PEER = "198.18.255.1", "198.19.255.1"
CAPTURE = AfPacketConfig(rx_ring_bytes=512 << 20, rx_retire_ms=60)
SEND_LIMIT_S = 20.0
TICKS = os.sysconf("SC_CLK_TCK")


def cfg_text(r: Rig, sa_type: str) -> str:
    hexkey = lambda k: ":".join(f"{b:02x}" for b in k)  # noqa: E731
    t = f" type {sa_type}" if sa_type != "no-offload" else ""
    return "\n".join([
        "sp ipv4 out esp protect 1001 pri 1 dst 198.19.0.0/16 sport 0:65535 dport 0:65535",
        "sp ipv4 in esp protect 2001 pri 1 dst 198.18.0.0/16 sport 0:65535 dport 0:65535",
        f"sa out 1001 aead_algo aes-128-gcm aead_key {hexkey(KEY_OUT)} mode ipv4-tunnel src {GW} dst {PEER}{t}",
        f"sa in 2001 aead_algo aes-128-gcm aead_key {hexkey(KEY_IN)} mode ipv4-tunnel src {PEER} dst {GW}{t}",
        "rt ipv4 dst 198.19.0.0/16 port 0", "rt ipv4 dst 198.18.0.0/16 port 1",
        f"neigh port 0 {r.by_dut_port(0).tester_mac}", f"neigh port 1 {r.by_dut_port(1).tester_mac}", ""])


def clear_frames(r: Rig, n: int) -> list[bytes]:
    """n 64-byte (60 + FCS) clear frames into the protected port, 16 flows."""
    link = r.by_dut_port(1)
    tmpl = [bytes(Ether(src=link.tester_mac, dst=link.dut_mac) / IP(src=f"198.18.0.{1 + k}", dst="198.19.0.9")
                  / UDP(sport=1000 + k, dport=9) / bytes(18)) for k in range(16)]
    assert len(tmpl[0]) == 60
    return [tmpl[i % 16] for i in range(n)]


def esp_frames(r: Rig, n: int) -> list[bytes]:
    """n ESP frames (64-byte inner frames) into the unprotected port; replay window off, so 64
    pre-encrypted frames are repeated."""
    link = r.by_dut_port(0)
    sa = SecurityAssociation(ESP, spi=2001, crypt_algo="AES-GCM", crypt_key=KEY_IN, tunnel_header=IP(src=PEER, dst=GW))
    tmpl = [bytes(Ether(src=link.tester_mac, dst=link.dut_mac)
                  / sa.encrypt(IP(src="198.19.0.9", dst=f"198.18.0.{1 + k % 16}") / UDP(sport=9, dport=1000) / bytes(18),
                               seq_num=k + 1)) for k in range(64)]
    return [tmpl[i % 64] for i in range(n)]


class Gateway:
    """``gateway-ref live`` in the rig's DUT namespace."""

    def __init__(self, r: Rig, cfg: Path, workers: int, tmp: Path, rx_args: tuple[str, ...] = ("--rx-mode", "v3")) -> None:
        self.ready = tmp / f"ready-{workers}-{time.monotonic_ns()}"
        self.counters = tmp / f"counters-{workers}-{time.monotonic_ns()}.json"
        argv = [sys.executable, "-m", "gateway_ref.cli", "live", "-f", str(cfg), "--port", f"0={r.by_dut_port(0).dut_iface}",
                "--port", f"1={r.by_dut_port(1).dut_iface}", "--workers", str(workers), "--rx-ring-mb", "256", "--max-runtime", "300",
                "--ready-file", str(self.ready), "--counters-out", str(self.counters), *rx_args]
        self.proc = subprocess.Popen(netns_argv(r.dut_ns, argv), cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gateway did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
            time.sleep(0.02)
        info = json.loads(self.ready.read_text())
        self.pids = info.get("workers") or [info["pid"]]

    def signal_all(self, signum: int) -> None:
        for pid in self.pids:
            os.kill(pid, signum)

    def cpu_s(self) -> float:
        total = 0
        for pid in self.pids:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICKS

    def stop(self) -> dict:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return json.loads(self.counters.read_text()) if self.counters.exists() else {}


def _captures(r: Rig) -> dict[int, AfPacketPort]:
    return {p: AfPacketPort(r.by_dut_port(p).tester_iface, netns=r.tester_ns, config=CAPTURE) for p in (0, 1)}


def offered(r: Rig, cfg: Path, tmp: Path, frames: list[bytes], rate: float, rx_args: tuple[str, ...]) -> dict:
    """Row (a): fixed offered rate into port 1; forwarded pps and loss at port 0."""
    gw = Gateway(r, cfg, 1, tmp, rx_args)
    caps = _captures(r)
    try:
        caps[0].start_capture()
        res = caps[1].send(frames, rate_pps=rate, duration_limit_s=SEND_LIMIT_S)
        time.sleep(0.3)
        got = caps[0].stop_capture()
    finally:
        for c in caps.values():
            c.close()
        counters = gw.stop()
    span = (got[-1][0] - got[0][0]) / 1e9 if len(got) > 1 else 0.0
    return {"offered_pps": res.pps, "sent": res.frames_sent, "forwarded": len(got),
            "forwarded_pps": len(got) / span if span else 0.0, "loss": res.frames_sent - len(got),
            "gateway_kernel_drops": sum(k["drops"] for k in counters.get("kernel", {}).values())}


def drain(r: Rig, cfg: Path, tmp: Path, backlog: dict[int, list[bytes]], workers: int) -> dict:
    """Rows (b)/(c): queue ``backlog`` (port -> frames) while stopped, then time the drain."""
    gw = Gateway(r, cfg, workers, tmp)
    caps = _captures(r)
    expected = sum(map(len, backlog.values()))
    try:
        for c in caps.values():
            c.start_capture()
        gw.signal_all(signal.SIGSTOP)
        for port, frames in backlog.items():
            caps[port].send(frames, duration_limit_s=SEND_LIMIT_S)
        time.sleep(0.2)
        cpu0 = gw.cpu_s()
        t0 = time.time_ns()
        gw.signal_all(signal.SIGCONT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait until the gateway's CPU use stops growing
            before = gw.cpu_s()
            time.sleep(0.25)
            if gw.cpu_s() == before:
                break
        cpu = gw.cpu_s() - cpu0
        got = [f for c in caps.values() for f in c.stop_capture()]
    finally:
        for c in caps.values():
            c.close()
        counters = gw.stop()
    last = max((ts for ts, _ in got), default=t0)
    seconds = (last - t0) / 1e9
    return {"workers": workers, "queued": expected, "forwarded": len(got), "seconds": seconds,
            "pps": len(got) / seconds if seconds > 0 else 0.0, "cpu_us_per_pkt": cpu * 1e6 / max(len(got), 1),
            "gateway_kernel_drops": sum(k["drops"] for k in counters.get("kernel", {}).values())}


def _percentile(values: list[int], q: float) -> int:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def latency(r: Rig, cfg: Path, tmp: Path, frames: list[bytes], rate: float, rx_args: tuple[str, ...]) -> dict:
    """Row (d): per-frame latency at a low paced load (see the module docstring)."""
    gw = Gateway(r, cfg, 1, tmp, rx_args)
    caps = _captures(r)
    try:
        caps[0].start_capture()
        cpu0, t0 = gw.cpu_s(), time.monotonic()
        res = caps[1].send(frames, rate_pps=rate, duration_limit_s=SEND_LIMIT_S)
        time.sleep(0.3)
        cpu, wall = gw.cpu_s() - cpu0, time.monotonic() - t0
        got = caps[0].stop_capture()
    finally:
        for c in caps.values():
            c.close()
        gw.stop()
    starts = [i for i, _ in res.bursts]
    samples = []
    for ts, frame in got:
        index = int.from_bytes(frame[14 + 20 + 4 : 14 + 20 + 8], "big") - 1  # ESP seq after Ether + outer IPv4
        if 0 <= index < res.frames_sent:
            samples.append(ts - res.bursts[bisect.bisect_right(starts, index) - 1][1])
    if not samples:
        return {"mode": " ".join(rx_args), "samples": 0}
    return {"mode": " ".join(rx_args), "samples": len(samples), "sent": res.frames_sent,
            "min_us": min(samples) / 1e3, "p50_us": _percentile(samples, 0.5) / 1e3,
            "p99_us": _percentile(samples, 0.99) / 1e3, "cpu_per_wall": cpu / wall}


LATENCY_MODES = (("--rx-mode", "v3", "--rx-retire-ms", "1"), ("--rx-mode", "v2"),
                 ("--rx-mode", "v2", "--busy-poll", "200"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--rate", type=float, default=250_000)
    ap.add_argument("--sa-type", default="no-offload", choices=("no-offload", "cpu-crypto"))
    ap.add_argument("--rx-mode", default="v2", choices=("v2", "v3", "recv"), help="receive mode for row (a)")
    ap.add_argument("--latency-rate", type=float, default=5000)
    ap.add_argument("--latency-frames", type=int, default=5000)
    ap.add_argument("--only-latency", action="store_true", help="row (d) only")
    args = ap.parse_args()
    if reason := netns_missing():
        print(f"bench_live_gateway: skipped: {reason}")
        return 0
    with rig() as r, tempfile.TemporaryDirectory(prefix="bench-live-") as tmpdir:
        tmp = Path(tmpdir)
        cfg = tmp / "gw.cfg"
        cfg.write_text(cfg_text(r, args.sa_type))
        out, inb = clear_frames(r, args.frames), esp_frames(r, args.frames)
        print(f"bench_live_gateway: 64-byte frames, AES-128-GCM tun44, SA type {args.sa_type}, {args.frames} frames")
        for mode in LATENCY_MODES:
            d = latency(r, cfg, tmp, out[:args.latency_frames], args.latency_rate, mode)
            print(f"(d) latency at {args.latency_rate:,.0f} pps, {d['mode']}: " + (
                f"{d['samples']}/{d['sent']} matched, min {d['min_us']:.0f} µs, p50 {d['p50_us']:.0f} µs, "
                f"p99 {d['p99_us']:.0f} µs, gateway CPU {d['cpu_per_wall']:.2f} s/s" if d["samples"] else "no output"))
        if args.only_latency:
            return 0
        a = offered(r, cfg, tmp, out, args.rate, ("--rx-mode", args.rx_mode))
        print(f"(a) --rx-mode {args.rx_mode}: offered {a['offered_pps']:,.0f} pps: forwarded {a['forwarded']}/{a['sent']} "
              f"at {a['forwarded_pps']:,.0f} pps, loss {a['loss']}, gateway socket drops {a['gateway_kernel_drops']}")
        for label, backlog in (("outbound (encrypt)", {1: out}), ("inbound (decrypt)", {0: inb})):
            b = drain(r, cfg, tmp, backlog, 1)
            print(f"(b) drain {label}, 1 process: {b['forwarded']}/{b['queued']} in {b['seconds']:.3f} s = "
                  f"{b['pps']:,.0f} pps, {b['cpu_us_per_pkt']:.2f} CPU µs/pkt, socket drops {b['gateway_kernel_drops']}")
        half = args.frames // 2
        both = {1: out[:half], 0: inb[:half]}
        one, two = drain(r, cfg, tmp, both, 1), drain(r, cfg, tmp, both, 2)
        for row in (one, two):
            print(f"(c) drain both directions, {row['workers']} worker(s): {row['forwarded']}/{row['queued']} in "
                  f"{row['seconds']:.3f} s = {row['pps']:,.0f} pps, {row['cpu_us_per_pkt']:.2f} CPU µs/pkt")
        print(f"(c) 2 workers / 1 process: x{two['pps'] / one['pps']:.2f} (target >= 1.7)" if one["pps"] else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
