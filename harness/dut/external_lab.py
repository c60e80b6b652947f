"""Lab files for ``--dut external``: which tester interface faces which DUT port, the DUT's MACs,
and optionally how to start and stop the DUT with a generated cfg. See docs/lab-example.toml.

Command templates are argv lists (a string is split with ``shlex``; never run by a shell).
Each argument is formatted with these placeholders; an argument that formats to the empty
string is dropped (so ``{esn}`` disappears when ESN is off):

``{cfg}`` cfg file written by the harness; ``{port0}``, ``{port1}``, ... the DUT-side interface
of each port (``dut_iface``); ``{unprotected_mask}`` e.g. ``0x1``; ``{replay_window}``;
``{esn}`` ``-e`` or nothing; ``{library}`` ``-l`` for the library engine or nothing;
``{engine}`` ``library``/``legacy``; ``{ready_file}``, ``{counters_file}``, ``{workdir}``.
"""
from __future__ import annotations

import dataclasses
import shlex
import signal
import string
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.dut.base import DutOptions


class LabError(ValueError):
    """A bad lab file; the message names the file and the key."""


@dataclasses.dataclass(frozen=True)
class LabPort:
    """DUT port ``id``: the tester interface wired to it and what the lab knows about it."""

    id: int
    tester_iface: str
    dut_mac: str | None = None
    tester_mac: str | None = None
    dut_iface: str | None = None


@dataclasses.dataclass(frozen=True)
class DutCommand:
    """How to start/stop the DUT and know it is ready (all optional but ``start``)."""

    start: tuple[str, ...]
    stop: tuple[str, ...] = ()
    ready_file: str | None = None
    ready_delay_s: float = 0.0
    ready_timeout_s: float = 30.0
    stop_timeout_s: float = 10.0
    counters_file: str | None = None
    counters_signal: signal.Signals | None = None


@dataclasses.dataclass(frozen=True)
class Lab:
    """A parsed lab file."""

    source: str
    ports: tuple[LabPort, ...]
    tester_netns: str | None = None
    command: DutCommand | None = None
    settle_s: float = 0.15
    max_collect_s: float = 5.0

    def port(self, port_id: int) -> LabPort:
        for p in self.ports:
            if p.id == port_id:
                return p
        raise KeyError(f"{self.source}: no [[port]] with id = {port_id}")


def _get(table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise LabError(f"{where}: missing key {key!r}")
        return default
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise LabError(f"{where}: {key} = {value!r}: expected {names}")
    return value


def _argv(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            return tuple(shlex.split(value))
        except ValueError as exc:
            raise LabError(f"{where}: cannot split {value!r}: {exc}") from None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise LabError(f"{where}: expected a command string or a list of strings, got {value!r}")


def _command(table: Mapping[str, Any], where: str) -> DutCommand:
    sig = _get(table, "counters_signal", str, where, None)
    try:
        signum = signal.Signals[sig] if sig else None
    except KeyError:
        raise LabError(f"{where}: counters_signal = {sig!r}: expected a signal name such as 'SIGUSR1'") from None
    start = _argv(table.get("start"), f"{where}.start") if "start" in table else None
    if not start:
        raise LabError(f"{where}: missing key 'start' (the command that starts the DUT)")
    return DutCommand(
        start=start,
        stop=_argv(table["stop"], f"{where}.stop") if "stop" in table else (),
        ready_file=_get(table, "ready_file", str, where, None),
        ready_delay_s=float(_get(table, "ready_delay_s", (int, float), where, 0.0)),
        ready_timeout_s=float(_get(table, "ready_timeout_s", (int, float), where, 30.0)),
        stop_timeout_s=float(_get(table, "stop_timeout_s", (int, float), where, 10.0)),
        counters_file=_get(table, "counters_file", str, where, None),
        counters_signal=signum,
    )


def parse_lab(text: str, source: str = "<lab>") -> Lab:
    """Parse lab TOML text; LabError names ``source`` and the offending key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabError(f"{source}: {exc}") from None
    raw_ports = data.get("port")
    if not isinstance(raw_ports, list) or not raw_ports:
        raise LabError(f"{source}: needs at least one [[port]] table (id, tester_iface)")
    ports = []
    for i, table in enumerate(raw_ports):
        where = f"{source}: port[{i}]"
        ports.append(LabPort(
            id=_get(table, "id", int, where), tester_iface=_get(table, "tester_iface", str, where),
            dut_mac=_get(table, "dut_mac", str, where, None), tester_mac=_get(table, "tester_mac", str, where, None),
            dut_iface=_get(table, "dut_iface", str, where, None)))
    ids = [p.id for p in ports]
    if len(set(ids)) != len(ids):
        raise LabError(f"{source}: duplicate port ids {sorted(ids)}")
    tester = data.get("tester", {})
    dut = data.get("dut")
    return Lab(
        source=source, ports=tuple(ports),
        tester_netns=_get(tester, "netns", str, f"{source}: [tester]", None),
        command=_command(dut, f"{source}: [dut]") if dut is not None else None,
        settle_s=float(_get(tester, "settle_ms", (int, float), f"{source}: [tester]", 150)) / 1000,
        max_collect_s=float(_get(tester, "max_collect_s", (int, float), f"{source}: [tester]", 5.0)),
    )


def load_lab(path: str | Path) -> Lab:
    """Read and parse a lab file; LabError when it cannot be read."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise LabError(f"{path}: cannot read lab file: {exc.strerror or exc}") from None
    return parse_lab(text, str(path))


def placeholders(lab: Lab, options: DutOptions, *, cfg: str, workdir: str, ready_file: str,
                 counters_file: str) -> dict[str, str]:
    """The values of every template placeholder for one configure()."""
    mask = sum(1 << p for p in options.unprotected_ports)
    values = {
        "cfg": cfg, "workdir": workdir, "ready_file": ready_file, "counters_file": counters_file,
        "unprotected_mask": f"{mask:#x}", "replay_window": str(options.replay_window),
        "esn": "-e" if options.esn else "", "engine": options.engine,
        "library": "-l" if options.engine == "library" else "",
    }
    values.update({f"port{p.id}": p.dut_iface or "" for p in lab.ports})
    return values


def render(template: Sequence[str], values: Mapping[str, str], where: str) -> list[str]:
    """Format each argument; drop arguments that become empty; LabError on an unknown name."""
    out = []
    for arg in template:
        for _, name, _, _ in string.Formatter().parse(arg):
            if name is not None and name not in values:
                raise LabError(f"{where}: unknown placeholder {{{name}}} in {arg!r}; "
                               f"known: {', '.join(sorted(values))}")
        text = arg.format_map(values)
        if text:
            out.append(text)
    return out
