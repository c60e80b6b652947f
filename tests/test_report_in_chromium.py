"""The HTML report of a small real run (offline reference DUT) renders in headless Chromium:
a non-blank screenshot of the asked size, and the browser decodes every plot (an inline
script writes each <img>'s naturalWidth into the DOM, read back with --dump-dom).

Chromium comes from Debian (scripts/setup.sh installs it); the test skips when it is missing.
"""
from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from harness.cli import main

WIDTH, HEIGHT = 1280, 2000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PROBE = ('<script>window.addEventListener("load",()=>{const p=document.createElement("pre");p.id="img-probe";'
         'p.textContent=[...document.images].map(i=>i.complete+":"+i.naturalWidth+"x"+i.naturalHeight).join(" ");'
         'document.body.appendChild(p);});</script>')


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed (scripts/setup.sh installs Debian's chromium)")


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def png_size_and_colours(data: bytes) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values in the decoded pixel rows."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    res = tmp_path_factory.mktemp("run")
    rc = main(["run", "--scenario", "tun44-aes128gcm", "--sizes", "64,512", "--placements",
               "no-offload,inline-crypto-offload", "--duration", "0.01", "--load", "20000",
               "--results-dir", str(res)])
    assert rc == 0
    return res / "report.html"


def test_screenshot_is_rendered(report, tmp_path):
    shot = tmp_path / "shot.png"
    done = run_chromium([f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}", report.as_uri()],
                        tmp_path / "profile")
    assert shot.is_file(), done.stderr[-2000:]
    width, height, colours = png_size_and_colours(shot.read_bytes())
    assert (width, height) == (WIDTH, HEIGHT)
    assert colours > 20  # text, tables and plots, not a blank page


def test_plots_are_decoded_by_the_browser(report, tmp_path):
    html = report.read_text()
    expected = len(re.findall(r'<img [^>]*src="data:image/png;base64,', html))
    assert expected >= 3  # throughput, latency CDF and histogram, placement bars
    probed = tmp_path / "probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"))
    done = run_chromium(["--dump-dom", "--virtual-time-budget=5000", probed.as_uri()], tmp_path / "profile")
    found = re.search(r'<pre id="img-probe">([^<]*)</pre>', done.stdout)
    assert found, done.stderr[-2000:]
    images = found.group(1).split()
    assert len(images) == expected
    for item in images:
        complete, size = item.split(":")
        w, h = (int(v) for v in size.split("x"))
        assert complete == "true" and w > 100 and h > 100, item
    assert 'id="performance"' in done.stdout and "lookaside vs inline" in done.stdout
