"""``ipsec-harness generate | verify | inspect`` end to end: generate, run the tx pcaps through
the reference gateway offline (its own CLI, as a user would), verify the gateway's output;
corrupted and mixed captures; inspect; bad input; tshark decrypting with the generated esp_sa.
Addresses come from the presets (198.18.0.0/15, 2001:2::/48)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from collections.abc import Callable
from typing import NamedTuple

import pytest

from gateway_ref.cli import main as gateway_main
from harness.cli import main
from harness.codec.frame_view import parse_frame
from harness.esp_inspect import inspect_frames
from harness.io.pcap import read_pcap, write_pcap
from harness.oracles.tshark_oracle import tshark_path
from harness.scenario.presets import build_preset
from harness.traffic_dir import choose_streams, generate, split_capture
from harness.traffic_oracle import oracle_check

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
PRESET = "tun44-aes128gcm"


def run(*argv: str | Path, module: str = "harness.cli") -> subprocess.CompletedProcess[str]:
    """A CLI in a subprocess, exactly as a user runs it."""
    return subprocess.run([sys.executable, "-m", module, *map(str, argv)], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, timeout=120, check=False)


class Done(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Done]:
    """``ipsec-harness`` in this process (subprocess start-up costs seconds on a busy 2-core box)."""
    def call(*argv: str | Path) -> Done:
        capsys.readouterr()
        rc = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Done(rc, out, err)
    return call


def run_gateway(gen: Path, out: Path, *, subprocess_cli: bool = False) -> None:
    """The reference gateway offline over the tx pcaps, with the options from gateway.args."""
    rx = [a for p in sorted(gen.glob("tx-port*.pcap")) for a in ("--rx", f"{p.stem[len('tx-port'):]}={p}")]
    argv = ["offline", "-f", str(gen / "gateway.cfg"), *(gen / "gateway.args").read_text().split(), *rx,
            "--out", str(out)]
    if subprocess_cli:
        done = run(*argv, module="gateway_ref.cli")
        assert done.returncode == 0, done.stderr
    else:
        assert gateway_main(argv) == 0


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(generated DIR, gateway output dir) for PRESET, made through both CLIs."""
    base = tmp_path_factory.mktemp("flow")
    gen, out = base / "gen", base / "out"
    done = run("generate", "--scenario", PRESET, "--count", 12, "--out", gen)
    assert done.returncode == 0, done.stderr
    run_gateway(gen, out, subprocess_cli=True)
    return gen, out


def rx_args(out: Path, ports: dict[int, Path] | None = None) -> list[str]:
    ports = ports or {0: out / "port0.pcap", 1: out / "port1.pcap"}
    return [a for p, path in sorted(ports.items()) for a in ("--rx", f"{p}={path}")]


def esp_frame_indices(path: Path) -> list[int]:
    return [i for i, (_, f) in enumerate(read_pcap(path)) if parse_frame(f).esp_offset >= 0]


def corrupted_copy(src: Path, dst: Path, index: int) -> Path:
    """``src`` with one byte of frame ``index`` flipped (a byte of the ICV, the frame's last)."""
    records = read_pcap(src)
    ts, frame = records[index]
    records[index] = (ts, frame[:-1] + bytes([frame[-1] ^ 0x40]))
    write_pcap(dst, records)
    return dst


def test_generate_writes_the_directory(flow: tuple[Path, Path]) -> None:
    gen, _ = flow
    names = {p.name for p in gen.iterdir()}
    assert names == {"gateway.cfg", "gateway.args", "tx-port0.pcap", "tx-port1.pcap", "manifest.json", "esp_sa"}
    scenario = build_preset(PRESET)
    assert (gen / "gateway.cfg").read_text() == scenario.to_cfg()
    assert (gen / "gateway.args").read_text().split() == scenario.dut_args()
    manifest = json.loads((gen / "manifest.json").read_text())
    assert len(manifest["streams"]) == len(scenario.policies)  # one stream per SP rule
    for port in scenario.ports:
        frames = [f for _, f in read_pcap(gen / f"tx-port{port.id}.pcap")]
        assert frames and all(f[:6] == port.dut_mac and f[6:12] == port.tester_mac for f in frames)
    esp_sa = (gen / "esp_sa").read_text()
    assert '"0x000003e9"' in esp_sa and '"0x000007d1"' in esp_sa


def test_verify_passes_the_reference_gateway(flow: tuple[Path, Path]) -> None:
    gen, out = flow
    done = run("verify", gen, *rx_args(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verdict: PASS" in done.stdout and "lost 0" in done.stdout


def test_verify_json(cli: Callable[..., Done], flow: tuple[Path, Path]) -> None:
    gen, out = flow
    done = cli("verify", gen, *rx_args(out), "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 0 and doc["passed"] is True
    assert doc["verify"]["totals"]["delivered"] == doc["verify"]["totals"]["expected"] > 0
    assert doc["captures"]["0"]["tester_frames_filtered"] == 0


def test_flipped_byte_fails_and_names_the_frame(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    index = esp_frame_indices(out / "port0.pcap")[3]
    bad = corrupted_copy(out / "port0.pcap", tmp_path / "bad0.pcap", index)
    done = cli("verify", gen, *rx_args(out, {0: bad, 1: out / "port1.pcap"}))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "verdict: FAIL" in done.stdout
    icv_lines = [line for line in done.stdout.splitlines() if line.startswith("FAIL") and "esp.icv" in line]
    assert len(icv_lines) == 1 and f"port 0, frame #{index}" in icv_lines[0], done.stdout


def test_tester_frames_are_filtered_and_frame_numbers_stay_those_of_the_file(
        cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    """A capture that also holds the tester's own transmissions (same link): they are counted,
    not reported, and a finding still names the frame's position in the file."""
    gen, out = flow
    own = read_pcap(gen / "tx-port0.pcap")
    dut = read_pcap(out / "port0.pcap")
    esp_at = esp_frame_indices(out / "port0.pcap")[0]
    mixed = own + dut
    ts, frame = mixed[len(own) + esp_at]
    mixed[len(own) + esp_at] = (ts, frame[:-1] + bytes([frame[-1] ^ 1]))
    path = tmp_path / "mixed0.pcap"
    write_pcap(path, mixed)
    done = cli("verify", gen, *rx_args(out, {0: path, 1: out / "port1.pcap"}), "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 1
    assert doc["captures"]["0"] == {"file": str(path), "frames": len(mixed), "tester_frames_filtered": len(own)}
    assert doc["verify"]["totals"]["unexpected"] == 1  # the corrupted frame only, no tester frame
    icv = [f for f in doc["verify"]["findings"] if f["field"] == "esp.icv"]
    assert [(f["severity"], f["port"], f["frame_index"]) for f in icv] == [("FAIL", 0, len(own) + esp_at)]


def test_split_capture_rule() -> None:
    tester, dut = bytes.fromhex("02000000 7e00".replace(" ", "")), bytes.fromhex("020000000000")
    frames = [(0, b"\xff" * 6 + tester + b"\x08\x00"), (1, b"\xff" * 6 + dut + b"\x08\x00")]
    split = split_capture(0, frames, tester)
    assert split.filtered == 1 and split.positions == (1,) and split.records == frames[1:]


def test_edited_tx_pcap_is_caught(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    copy = tmp_path / "gen"
    shutil.copytree(gen, copy)
    corrupted_copy(gen / "tx-port1.pcap", copy / "tx-port1.pcap", 0)
    done = cli("verify", copy, *rx_args(out))
    assert done.returncode == 2 and "tx-port1.pcap: frames changed since generate" in done.stderr


def test_stale_manifest_is_caught(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    copy = tmp_path / "gen"
    shutil.copytree(gen, copy)
    data = json.loads((copy / "manifest.json").read_text())
    data["streams"][0]["seed"] += 1  # builds other bytes than the pcaps hold
    data["streams"][0]["template"]["dst"] = "198.19.1.2"
    (copy / "manifest.json").write_text(json.dumps(data))
    done = cli("verify", copy, *rx_args(out))
    assert done.returncode == 2 and "rebuilding the streams gives other frames" in done.stderr, done.stderr


def test_inspect_reports_every_sa_without_problems(cli: Callable[..., Done], flow: tuple[Path, Path]) -> None:
    gen, out = flow
    outbound = cli("inspect", "-f", gen / "gateway.cfg", out / "port0.pcap")
    inbound = cli("inspect", "-f", gen / "gateway.cfg", gen / "tx-port0.pcap", "--json")
    assert outbound.returncode == 0, outbound.stdout
    lines = [line for line in outbound.stdout.splitlines() if line.startswith("frame #")]
    assert len(lines) == 12 and all("SA out/1001 ICV ok" in line and "sig 1/" in line for line in lines)
    assert "SA out/1001: 12 packets, seq 1..12, gaps 0, repeats 0, IV reuses 0" in outbound.stdout
    doc = json.loads(inbound.stdout)
    assert inbound.returncode == 0 and doc["findings"] == []
    assert set(doc["sa"]) == {"in/2001"} and {p["sa"] for p in doc["packets"]} == {"in/2001"}
    assert all(p["inner"]["dst"].startswith("198.18.1.") for p in doc["packets"])


def test_inspect_reports_the_icv_finding(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    index = esp_frame_indices(out / "port0.pcap")[5]
    bad = corrupted_copy(out / "port0.pcap", tmp_path / "bad0.pcap", index)
    done = cli("inspect", "-f", gen / "gateway.cfg", bad, "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 1
    assert [(f["requirement"], f["frame_index"]) for f in doc["findings"]] == [("G2", index)]
    assert doc["sa"]["out/1001"]["gaps"] == 0  # the sequence is still tracked through the bad packet


@pytest.mark.parametrize("name", ["tun66-aes256cbc-sha256-esn-w64", "trs4-aes128cbc-sha256", "tun44-aes128gcm-legacy",
                                  "tun46-aes128gcm"])
def test_other_presets_pass_through_the_reference_gateway(name: str, tmp_path: Path) -> None:
    scenario = build_preset(name)
    generate(scenario, choose_streams(scenario, None, 6, None), tmp_path / "gen")
    run_gateway(tmp_path / "gen", tmp_path / "out")
    assert main(["verify", str(tmp_path / "gen"), *rx_args(tmp_path / "out")]) == 0
    report = inspect_frames(scenario, [f for _, f in read_pcap(tmp_path / "out" / "port0.pcap")])
    assert report.findings == () and {p.sa for p in report.packets} == {"out/1001"}
    assert len(report.packets) == 6


def test_streams_file_and_count_override(cli: Callable[..., Done], tmp_path: Path) -> None:
    scenario = build_preset(PRESET)
    chosen = choose_streams(scenario, None, 3, None)[:2]
    path = tmp_path / "streams.json"
    path.write_text(json.dumps([s.to_dict() for s in chosen]))
    done = cli("generate", "--scenario", PRESET, "--streams", path, "--count", 5, "--size", 200,
               "--out", tmp_path / "gen")
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "gen" / "manifest.json").read_text())
    assert [(s["stream_id"], s["count"]) for s in manifest["streams"]] == [(chosen[0].stream_id, 5),
                                                                        (chosen[1].stream_id, 5)]
    frames = [f for p in (tmp_path / "gen").glob("tx-port*.pcap") for _, f in read_pcap(p)]
    assert len(frames) == 10 and all(len(f) == 196 for f in frames if parse_frame(f).esp_offset < 0)


def test_scenario_json_file(tmp_path: Path) -> None:
    path = tmp_path / "sc.json"
    path.write_text(build_preset("trs6-chacha20").to_json())
    assert main(["generate", "--scenario", str(path), "--count", "2", "--out", str(tmp_path / "gen")]) == 0
    assert "trs6-chacha20" in (tmp_path / "gen" / "manifest.json").read_text()


def test_oracle_agrees_with_the_codec(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    scenario = build_preset(PRESET)
    good = oracle_check(scenario, out / "port0.pcap", [f for _, f in read_pcap(out / "port0.pcap")])
    index = esp_frame_indices(out / "port0.pcap")[0]
    bad_path = corrupted_copy(out / "port0.pcap", tmp_path / "bad0.pcap", index)
    bad = oracle_check(scenario, bad_path, [f for _, f in read_pcap(bad_path)])
    for summary in (good, bad):
        assert summary.esp_frames == 12 and summary.agree == 12 and summary.disagreements == ()
    done = cli("verify", gen, *rx_args(out), "--oracle")
    assert done.returncode == 0 and "agree 12, disagree 0" in done.stdout


def _bad_inputs(tmp: Path, gen: Path, out: Path) -> list[tuple[list[str], str]]:
    (tmp / "text.pcap").write_text("not a capture\n" * 3)
    # a pcapng section with one Linux-cooked (113) interface: readable format, unusable link type
    (tmp / "ng.pcapng").write_bytes(bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000"
                                                  "0100000014000000710000000000040014000000"))
    (tmp / "bad.cfg").write_text("sp ipv4 out esp protect 5 pri 1 dst 198.19.0.0/16 sport 0:65535 dport 0:65535\n"
                                 "sa out 5 aead_algo aes-128-gcm aead_key zz:00 mode ipv4-tunnel "
                                 "src 198.18.0.1 dst 198.19.0.1\n")
    rx0 = f"0={out / 'port0.pcap'}"
    return [
        (["generate", "--scenario", "tun44-aes128gmc", "--out", str(tmp / "x")], "close names: tun44-aes128gcm"),
        (["generate", "--scenario", str(tmp / "none.json"), "--out", str(tmp / "x")], "cannot read scenario file"),
        (["generate", "--scenario", PRESET, "--size", "40", "--out", str(tmp / "x")], "StreamSpec.sizes"),
        (["verify", str(gen), "--rx", f"0={tmp / 'text.pcap'}"], "text.pcap"),
        (["verify", str(gen), "--rx", f"0={tmp / 'ng.pcapng'}"], "link type 113"),
        (["verify", str(gen), "--rx", f"7={out / 'port0.pcap'}"], "port 7 is not in the manifest"),
        (["verify", str(tmp / "nodir"), "--rx", rx0], "no such directory"),
        (["verify", str(tmp), "--rx", rx0], "manifest.json: missing"),
        (["verify", str(gen), "--rx", "zero"], "expected PORT=CAPTURE.pcap"),
        (["inspect", "-f", str(tmp / "bad.cfg"), str(out / "port0.pcap")], "bad.cfg:2:"),
        (["inspect", "-f", str(gen / "gateway.cfg"), str(tmp / "text.pcap")], "text.pcap"),
    ]


def test_bad_input_is_one_line_and_exit_2(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    gen, out = flow
    cases = _bad_inputs(tmp_path, gen, out)
    for i, (argv, needle) in enumerate(cases):
        done = run(*argv) if i == 0 else cli(*argv)  # one through a real process, the rest in-process
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in done.stderr, (argv, done.stderr)
        assert lines[0].startswith(f"ipsec-harness {argv[0]}: error: ")


needs_tshark = pytest.mark.skipif(tshark_path() is None, reason="tshark is not installed")


@needs_tshark
def test_tshark_opens_and_decrypts_with_the_generated_esp_sa(flow: tuple[Path, Path], tmp_path: Path) -> None:
    """The documented use: copy DIR/esp_sa to ~/.config/wireshark/esp_sa."""
    gen, out = flow
    home = tmp_path / "home"
    (home / ".config" / "wireshark").mkdir(parents=True)
    shutil.copy(gen / "esp_sa", home / ".config" / "wireshark" / "esp_sa")
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"))
    for pcap, spi in ((gen / "tx-port0.pcap", 2001), (out / "port0.pcap", 1001)):
        done = subprocess.run([tshark_path(), "-n", "-r", str(pcap), "-Y", "esp", "-o",
                               "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                               "-T", "fields", "-e", "esp.spi", "-e", "esp.icv_good", "-e", "udp.dstport"],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        rows = [line.split("\t") for line in done.stdout.splitlines()]
        assert len(rows) == 12
        assert all(int(r[0], 0) == spi and r[1] == "1" and r[2] == "1024" for r in rows), done.stdout[:500]


@pytest.mark.skipif(shutil.which("editcap") is None, reason="Wireshark's editcap is not installed")
def test_verify_reads_pcapng_captures(cli: Callable[..., Done], flow: tuple[Path, Path], tmp_path: Path) -> None:
    """dumpcap and Wireshark write pcapng by default."""
    gen, out = flow
    ng = tmp_path / "port0.pcapng"
    subprocess.run(["editcap", "-F", "pcapng", str(out / "port0.pcap"), str(ng)], check=True, capture_output=True,
                   timeout=60)
    done = cli("verify", gen, *rx_args(out, {0: ng, 1: out / "port1.pcap"}))
    assert done.returncode == 0 and "verdict: PASS" in done.stdout, done.stdout + done.stderr
