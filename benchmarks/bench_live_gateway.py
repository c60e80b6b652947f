"""``gateway-ref live`` speed on a veth rig: 64-byte AES-128-GCM IPv4 tunnel traffic (needs root).

The host's speed moves by about x2 from minute to minute here (one bare AESGCM call 0.6-1.4
µs against 0.44 in measured-baselines.md), so every capacity row is repeated ``--repeat`` times
in alternating order next to a yardstick, and ratios taken within a repetition are reported
(medians). The yardstick is measured-baselines.md's minimal gateway loop (``minimal_gateway.py``:
recv -> fast GCM encap -> send, 394 k pps for 64-byte frames on the baseline machine), drained
the same way on the same rig: ``gateway-ref live`` at ratio R of it forwards R x 394 k pps at
the baseline machine's pace, the pace the issue's 250 k pps target was set at.

Rows, all in one run on one rig:
(d) latency at a low load per receive mode (``--rx-mode v3`` with 1 ms retire, the old
    default; ``v2``, the new one; ``v2 --busy-poll 200``): clear frames at ``--latency-rate``
    pps, each ESP output matched to its input by sequence number; kernel RX stamp of the
    output minus CLOCK_REALTIME just before its input burst was sent; min / p50 / p99, and
    the gateway's CPU seconds per wall second.
(b) capacity by draining a backlog (measured-baselines.md): the gateway is SIGSTOPped, N
    frames are queued into its RX ring (a 256 MiB V3 ring: a backlog of 64-byte frames fits
    V3 far better than V2's 2 KiB slots), then SIGCONT; time from SIGCONT to the last output
    frame's kernel stamp; CPU µs per packet from /proc/PID/stat (utime+stime). Outbound
    (encrypt) and inbound (decrypt) separately, one process; the yardstick loop the same way.
(c) the same backlog in both directions at once, 1 process vs ``--workers 2``; the ratio of
    their forwarded pps (target >= 1.7: one core per direction).
(a) offered load: clear 64-byte frames into the protected port at a fixed rate for a bounded
    count, the gateway with its default receive ring (16 k V2 slots: a backlog it cannot keep
    up with overflows it within a tenth of a second), the tester sending on the same two
    cores; forwarded pps (kernel RX stamps of the ESP output) and loss. Twice: at ``--rate``
    (250 k) as offered here, and at 250 k at the baseline machine's pace (250 k x this run's
    yardstick pps / 394 k).
Every send is bounded in count and time; the rig is removed at exit.

    sudo .venv/bin/python benchmarks/bench_live_gateway.py [--frames 200000] [--repeat 5] [--rate 250000]
        [--sa-type cpu-crypto] [--rx-mode v2] [--latency-rate 5000] [--latency-frames 5000]
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import signal
import statistics
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
TARGET_PPS = 250_000  # the target per direction, one process
sys.path.insert(0, str(Path(__file__).resolve().parent))
from minimal_gateway import BASELINE_PPS  # noqa: E402
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


def _pair(r: Rig, rx_port: int) -> str:
    """A yardstick pair: receive on DUT port ``rx_port``, send to the tester on the other port."""
    out = r.by_dut_port(1 - rx_port)
    return f"{r.by_dut_port(rx_port).dut_iface},{out.dut_iface},{out.tester_mac}"


class DutProcess:
    """A process started in the rig's DUT namespace that writes ``ready`` ({"pid": ...} or
    {"workers": [...]}) once it is bound; ``counters``: the file it writes its counters to
    when stopped, if any."""

    def __init__(self, r: Rig, argv: list[str], ready: Path, counters: Path | None = None) -> None:
        self.ready, self.counters = ready, counters
        self.proc = subprocess.Popen(netns_argv(r.dut_ns, argv), cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 20
        while not self.ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[1]} did not start: {self.proc.stderr.read() if self.proc.stderr else ''}")
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
        return json.loads(self.counters.read_text()) if self.counters is not None and self.counters.exists() else {}


def start_gateway(r: Rig, cfg: Path, workers: int, tmp: Path, rx_args: tuple[str, ...] = ("--rx-mode", "v3"),
                  ring_mb: int | None = 256) -> DutProcess:
    """``gateway-ref live`` on DUT ports 0 and 1 (``ring_mb`` None: its default receive ring)."""
    ready = tmp / f"ready-{workers}-{time.monotonic_ns()}"
    counters = tmp / f"counters-{workers}-{time.monotonic_ns()}.json"
    argv = [sys.executable, "-m", "gateway_ref.cli", "live", "-f", str(cfg), "--port", f"0={r.by_dut_port(0).dut_iface}",
            "--port", f"1={r.by_dut_port(1).dut_iface}", "--workers", str(workers), "--max-runtime", "300",
            "--ready-file", str(ready), "--counters-out", str(counters), *rx_args]
    if ring_mb is not None:
        argv += ["--rx-ring-mb", str(ring_mb)]
    return DutProcess(r, argv, ready, counters)


def start_yardstick(r: Rig, tmp: Path, rx_ports: tuple[int, ...]) -> DutProcess:
    """One process of the yardstick loop ``minimal_gateway.py`` serving the DUT ports ``rx_ports``."""
    ready = tmp / f"ready-yardstick-{time.monotonic_ns()}"
    argv = [sys.executable, str(ROOT / "benchmarks" / "minimal_gateway.py"), "--key", KEY_OUT.hex(),
            "--src", GW, "--dst", PEER, "--ready-file", str(ready)]
    for port in rx_ports:
        argv += ["--pair", _pair(r, port)]
    return DutProcess(r, argv, ready)


def _captures(r: Rig) -> dict[int, AfPacketPort]:
    return {p: AfPacketPort(r.by_dut_port(p).tester_iface, netns=r.tester_ns, config=CAPTURE) for p in (0, 1)}


def offered(r: Rig, cfg: Path, tmp: Path, frames: list[bytes], rate: float, rx_args: tuple[str, ...]) -> dict:
    """Row (a): fixed offered rate into port 1; forwarded pps and loss at port 0 (the
    gateway's default receive ring)."""
    gw = start_gateway(r, cfg, 1, tmp, rx_args, ring_mb=None)
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


class Yardstick:
    """The yardstick loop on the DUT ports ``backlog`` arrives on: one process for all of them,
    or with ``workers=2`` one process per port (as ``--workers 2``: one per direction)."""

    def __init__(self, r: Rig, tmp: Path, rx_ports: list[int], workers: int) -> None:
        groups = [(p,) for p in rx_ports] if workers == 2 else [tuple(rx_ports)]
        self.procs: list[DutProcess] = []
        try:
            for group in groups:
                self.procs.append(start_yardstick(r, tmp, group))
        except BaseException:
            self.stop()
            raise

    def signal_all(self, signum: int) -> None:
        for p in self.procs:
            p.signal_all(signum)

    def cpu_s(self) -> float:
        return sum(p.cpu_s() for p in self.procs)

    def stop(self) -> dict:
        for p in self.procs:
            p.stop()
        return {}


def drain(r: Rig, cfg: Path, tmp: Path, backlog: dict[int, list[bytes]], workers: int, minimal: bool = False) -> dict:
    """Rows (b)/(c): queue ``backlog`` (port -> frames) while stopped, then time the drain
    (``minimal``: the yardstick loop instead of the gateway)."""
    gw = Yardstick(r, tmp, sorted(backlog), workers) if minimal else start_gateway(r, cfg, workers, tmp)
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
    gw = start_gateway(r, cfg, 1, tmp, rx_args)
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


def _capacity(r: Rig, cfg: Path, tmp: Path, out: list[bytes], inb: list[bytes], repeat: int) -> dict[str, list[dict]]:
    """Rows (b) and (c), ``repeat`` times, the order reversed every other repetition."""
    half = len(out) // 2
    both = {1: out[:half], 0: inb[:half]}
    runs: list[tuple[str, dict[int, list[bytes]], int, bool]] = [
        ("yardstick", {1: out}, 1, True), ("outbound", {1: out}, 1, False), ("inbound", {0: inb}, 1, False),
        ("both/1", both, 1, False), ("both/2", both, 2, False), ("yardstick both/2", both, 2, True),
        ("yardstick both/1", both, 1, True)]
    rows: dict[str, list[dict]] = {name: [] for name, *_ in runs}
    for rep in range(repeat):
        for name, backlog, workers, minimal in (runs if rep % 2 == 0 else runs[::-1]):
            rows[name].append(drain(r, cfg, tmp, backlog, workers, minimal))
    return rows


def _median_ratio(rows: dict[str, list[dict]], num: str, den: str) -> float:
    return statistics.median(a["pps"] / b["pps"] for a, b in zip(rows[num], rows[den]) if b["pps"])


def _print_capacity(rows: dict[str, list[dict]]) -> None:
    labels = {"yardstick": "(b) yardstick (minimal loop, outbound)", "outbound": "(b) drain outbound (encrypt), 1 process",
              "inbound": "(b) drain inbound (decrypt), 1 process", "both/1": "(c) drain both directions, 1 process",
              "both/2": "(c) drain both directions, --workers 2",
              "yardstick both/1": "(c) yardstick, both ports, 1 process", "yardstick both/2": "(c) yardstick, both ports, 2 processes"}
    for name, label in labels.items():
        runs = rows[name]
        lost = sum(d["queued"] - d["forwarded"] for d in runs)
        each = ", ".join(f"{d['pps'] / 1e3:.0f}k" for d in runs)
        print(f"{label}: median {statistics.median(d['pps'] for d in runs):,.0f} pps "
              f"(runs {each}), "
              f"{statistics.median(d['cpu_us_per_pkt'] for d in runs):.2f} CPU µs/pkt, not forwarded {lost}")
    for name in ("outbound", "inbound"):
        ratio = _median_ratio(rows, name, "yardstick")
        pace = ratio * BASELINE_PPS
        print(f"(b) {name} / yardstick: x{ratio:.2f} (median of per-repetition ratios) = {pace:,.0f} pps at the baseline "
              f"machine's pace ({BASELINE_PPS:,} x ratio; target >= {TARGET_PPS:,}: {'met' if pace >= TARGET_PPS else 'NOT met'})")
    two = _median_ratio(rows, "both/2", "both/1")
    yard = _median_ratio(rows, "yardstick both/2", "yardstick both/1")
    print(f"(c) 2 workers / 1 process: x{two:.2f}; yardstick 2 processes / 1: x{yard:.2f} (x1.79 on the baseline "
          f"machine); medians of per-repetition ratios; target >= 1.7: {'met' if two >= 1.7 else 'NOT met'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=5, help="repetitions of the capacity rows (b), (c)")
    ap.add_argument("--rate", type=float, default=TARGET_PPS)
    ap.add_argument("--sa-type", default="cpu-crypto", choices=("no-offload", "cpu-crypto"))
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
        rows = _capacity(r, cfg, tmp, out, inb, args.repeat)
        _print_capacity(rows)
        yard = statistics.median(d["pps"] for d in rows["yardstick"])
        for label, rate in (("as offered here", args.rate), ("250 k at the baseline pace", TARGET_PPS * yard / BASELINE_PPS)):
            a = offered(r, cfg, tmp, out, rate, ("--rx-mode", args.rx_mode))
            print(f"(a) {label}, --rx-mode {args.rx_mode}: offered {a['offered_pps']:,.0f} pps: forwarded "
                  f"{a['forwarded']}/{a['sent']} at {a['forwarded_pps']:,.0f} pps, loss {a['loss']}, "
                  f"gateway socket drops {a['gateway_kernel_drops']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
