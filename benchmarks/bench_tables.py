"""Speed of the reference gateway's tables at 1 to 10 000 tunnels: SPD lookups and cfg load.

SPD (outbound IPv4 of ``scale_scenario(build_preset("tun44-aes128gcm"), n)``: 2 rules per
tunnel plus the preset's bypass and discard rules, n/2 of them outbound protect):

* ``hit``: a flow already in the lookup cache;
* ``miss``: a flow not in the cache (a table whose cache holds one flow, fed distinct flows),
  i.e. the indexed match that runs on every new flow;
* ``linear``: the same misses answered by a plain scan of the rules in precedence order, written
  here as the baseline (the SPD did this before it was indexed); ``linear / miss`` is the gain.

cfg load: ``parse_cfg`` + ``build_tables`` of the scaled cfg. With ``--before REV`` the same
load also runs on the ``gateway_ref`` of git revision REV (extracted to a temporary directory,
run in a subprocess), giving a before/after ratio measured in the same run.

Times are CPU seconds (process time), best of 3: the machine is shared.

Run: ``.venv/bin/python benchmarks/bench_tables.py [--tunnels 1 100 1000 10000]
[--load 1000 10000] [--before REV]``
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence

from gateway_ref.cfg import parse_cfg
from gateway_ref.cfg.records import Direction, Family, SpRule
from gateway_ref.tables import Spd, build_tables
from harness.scenario import Family as ScenarioFamily
from harness.scenario.presets import build_preset
from harness.scenario.scale import host_pair, scale_scenario
from timing import least_cpu_s

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD_SNIPPET = """
import sys, time
from gateway_ref.cfg import parse_cfg
from gateway_ref.tables import build_tables
text = open(sys.argv[1]).read()
best = float("inf")
for _ in range(int(sys.argv[2])):
    t0 = time.process_time()
    build_tables(parse_cfg(text, "bench.cfg"))
    best = min(best, time.process_time() - t0)
print(best)
"""


def scaled_cfg(tunnels: int) -> str:
    return scale_scenario(build_preset("tun44-aes128gcm"), tunnels).to_cfg()


def flow_packets(tunnels: int, count: int) -> list[bytes]:
    """``count`` distinct outbound flows (IPv4 + 4 UDP port bytes) spread round-robin over the
    tunnels (protected side -> remote side); the source port tells repeats apart."""
    out = []
    for i in range(count):
        src, dst = host_pair(ScenarioFamily.IPV4, i % tunnels)
        header = bytearray(24)
        header[0], header[9] = 0x45, 17
        header[12:20] = src.packed + dst.packed
        header[20:24] = (1000 + i // tunnels).to_bytes(2, "big") + (2000).to_bytes(2, "big")
        out.append(bytes(header))
    return out


def linear_lookup(rules: Sequence[SpRule]) -> Callable[[bytes], SpRule | None]:
    """The pre-index SPD miss path: every rule in precedence order until one matches."""
    compiled = [((r.proto_value & r.proto_mask), r.proto_mask, int(r.src.network_address), int(r.src.netmask),
                 int(r.dst.network_address), int(r.dst.netmask), r.sport, r.dport, r)
                for r in sorted(rules, key=lambda r: -r.priority)]

    def lookup(l3: bytes) -> SpRule | None:
        proto, src, dst = l3[9], int.from_bytes(l3[12:16], "big"), int.from_bytes(l3[16:20], "big")
        sport, dport = int.from_bytes(l3[20:22], "big"), int.from_bytes(l3[22:24], "big")
        for pv, pm, sn, sm, dn, dm, sp, dp, rule in compiled:
            if ((proto & pm) == pv and (src & sm) == sn and (dst & dm) == dn
                    and sp[0] <= sport <= sp[1] and dp[0] <= dport <= dp[1]):
                return rule
        return None
    return lookup


def bench_spd(tunnels: int) -> dict[str, float]:
    """µs per lookup: cache hit, cache miss (indexed), linear scan; and the linear/miss ratio."""
    spd = build_tables(parse_cfg(scaled_cfg(tunnels))).spd(Family.IPV4, Direction.OUT)
    assert spd is not None
    packets = flow_packets(tunnels, max(tunnels, 20_000))
    linear = linear_lookup(spd.rules)
    sample = packets[::max(1, len(packets) // 2_000)]  # the linear scan is slow: fewer flows
    assert all(spd.lookup(p) is linear(p) for p in sample)
    cached = Spd(spd.family, spd.direction, spd.rules, cache_size=len(packets)).lookup
    uncached = Spd(spd.family, spd.direction, spd.rules, cache_size=1).lookup  # every new flow misses

    def run(lookup: Callable[[bytes], SpRule | None], flows: list[bytes]) -> Callable[[], None]:
        def loop() -> None:
            for p in flows:
                lookup(p)
        return loop

    run(cached, packets)()  # fill the cache
    hit_us = least_cpu_s(run(cached, packets)) / len(packets) * 1e6
    miss_us = least_cpu_s(run(uncached, packets)) / len(packets) * 1e6
    linear_us = least_cpu_s(run(linear, sample), 1) / len(sample) * 1e6
    return {"rules": len(spd.rules), "hit_us": hit_us, "miss_us": miss_us, "linear_us": linear_us,
            "linear_over_miss": linear_us / miss_us}


def bench_load(tunnels: int, before: str | None) -> dict[str, float]:
    """Seconds to parse and build the tables of a ``tunnels``-tunnel cfg (now and at ``before``)."""
    with tempfile.TemporaryDirectory(prefix="bench-tables-") as tmp:
        path = os.path.join(tmp, "scaled.cfg")
        with open(path, "w") as handle:
            handle.write(scaled_cfg(tunnels))
        now = _load_in(REPO, path)
        row = {"tunnels": tunnels, "load_s": now}
        if before is not None:
            tree = os.path.join(tmp, "before")
            os.mkdir(tree)
            archive = subprocess.run(["git", "-C", REPO, "archive", before, "gateway_ref"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
            row["before_s"] = _load_in(tree, path)
            row["before_over_now"] = row["before_s"] / now
    return row


def _load_in(tree: str, cfg_path: str) -> float:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET, cfg_path, "2"], env=env, cwd=tree,
                         check=True, capture_output=True, text=True).stdout
    return float(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tunnels", type=int, nargs="+", default=[1, 100, 1000, 10_000])
    parser.add_argument("--load", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--before", help="git revision whose gateway_ref cfg load to compare with")
    args = parser.parse_args()
    print("SPD outbound IPv4 (µs per lookup, CPU time)")
    print(f"{'tunnels':>8} {'rules':>6} {'hit':>8} {'miss':>8} {'linear':>9} {'linear/miss':>12}")
    for n in args.tunnels:
        r = bench_spd(n)
        print(f"{n:>8} {r['rules']:>6} {r['hit_us']:>8.2f} {r['miss_us']:>8.2f} {r['linear_us']:>9.2f} "
              f"{r['linear_over_miss']:>12.1f}")
    print("\ncfg load: parse_cfg + build_tables (s, CPU time, best of 2)")
    for n in args.load:
        r = bench_load(n, args.before)
        extra = "" if args.before is None else f"  before {r['before_s']:.2f} s  before/now {r['before_over_now']:.1f}x"
        print(f"{n:>8} tunnels: {r['load_s']:.2f} s{extra}")


if __name__ == "__main__":
    main()
