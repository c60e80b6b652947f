"""tshark as a third opinion on captured ESP: decrypt with a generated ``esp_sa`` table and
read SPI, sequence, ICV verdict, pad length and next header per packet as TSV
(``-T fields``; pyshark would cost a process round trip per packet).

The SA table is written to a temporary Wireshark configuration directory
(``$XDG_CONFIG_HOME/wireshark/esp_sa``), so any number of SAs fit and the user's own
profile is neither read nor touched. Checks tshark cannot make for an SA are reported as
NOT_CHECKABLE, never as a pass (see ``tshark_capability``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.codec.spec import EspSaSpec
from harness.oracles.esp_sa_table import SaEntry, tshark_capability, write_esp_sa
from harness.oracles.verdict import OracleStatus

FIELDS = ("frame.number", "esp.spi", "esp.sequence", "esp.icv_good", "esp.icv_bad", "esp.pad_len",
          "esp.protocol")


class TsharkError(RuntimeError):
    """tshark is missing or failed; the message says which and includes its stderr."""


@dataclass(frozen=True)
class TsharkPacketView:
    """tshark's reading of one ESP packet. ``icv`` is PASS/FAIL only where tshark can check
    this SA's ICV; ``decrypted`` means the trailer was dissected (pad length and next header
    present); -1 marks a field tshark did not give."""

    frame: int
    spi: int
    seq: int
    icv: OracleStatus
    decrypted: bool
    pad_len: int
    next_header: int
    detail: str


def tshark_path() -> str | None:
    """Path of the tshark executable, or None."""
    return shutil.which("tshark")


def _int(cell: str) -> int:
    cell = cell.split(",")[0].strip()
    return int(cell, 0) if cell else -1


def _view(cells: list[str], by_spi: dict[int, EspSaSpec]) -> TsharkPacketView:
    cells += [""] * (len(FIELDS) - len(cells))
    frame, spi, seq, good, bad, pad_len, nh = (_int(c) for c in cells[:len(FIELDS)])
    spec = by_spi.get(spi)
    if spec is None:
        return TsharkPacketView(frame, spi, seq, OracleStatus.NOT_CHECKABLE, False, pad_len, nh, "no SA for this SPI")
    cap = tshark_capability(spec)
    decrypted = cap.decrypt and nh >= 0
    if not cap.icv:
        icv, detail = OracleStatus.NOT_CHECKABLE, cap.reason
    elif bad == 1:
        icv, detail = OracleStatus.FAIL, "icv_bad"
    elif good == 1:
        icv, detail = OracleStatus.PASS, ""
    else:
        icv, detail = OracleStatus.NOT_CHECKABLE, "tshark gave no ICV verdict"
    return TsharkPacketView(frame, spi, seq, icv, decrypted, pad_len, nh, detail)


def tshark_check(pcap_path: str | Path, specs: Sequence[SaEntry], *, tshark: str | None = None,
                 timeout: float = 120.0, extra_prefs: Iterable[str] = ()) -> list[TsharkPacketView]:
    """Dissect every ESP packet of ``pcap_path`` with the SAs ``specs`` (specs or
    (spec, src, dst) for transport SAs). Raises TsharkError when tshark is absent or fails."""
    exe = tshark or tshark_path()
    if exe is None:
        raise TsharkError("tshark not found on PATH")
    by_spi = {(e if isinstance(e, EspSaSpec) else e[0]).spi: (e if isinstance(e, EspSaSpec) else e[0]) for e in specs}
    with tempfile.TemporaryDirectory(prefix="ipxh-tshark-") as cfg:
        (Path(cfg) / "wireshark").mkdir()
        write_esp_sa(specs, Path(cfg) / "wireshark" / "esp_sa")
        argv = [exe, "-n", "-r", str(pcap_path), "-Y", "esp",
                "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE"]
        for pref in extra_prefs:
            argv += ["-o", pref]
        argv += ["-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"]
        for field in FIELDS:
            argv += ["-e", field]
        env = dict(os.environ, XDG_CONFIG_HOME=cfg, HOME=cfg)
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise TsharkError(f"tshark did not finish within {timeout} s on {pcap_path}") from None
    if proc.returncode != 0:
        raise TsharkError(f"tshark failed on {pcap_path} (exit {proc.returncode}): {proc.stderr.strip()}")
    return [_view(line.split("\t"), by_spi) for line in proc.stdout.splitlines() if line.strip()]
