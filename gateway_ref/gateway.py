"""The reference gateway as a Python object: cfg text in, frames in and out per port, counters.

This is the API the harness's in-process DUT adapter and the offline/live runners use::

    with Gateway.from_cfg_text(text, unprotected_ports=frozenset({0})) as gw:
        out = gw.process(1, frames)      # {tx port: [frames]}
        out2 = gw.flush()                # lookaside ops still in flight
        gw.counters()                    # JSON-serialisable dict

Options mirror ipsec-secgw's: ``unprotected_ports`` is ``-u`` (ports whose RX is inbound;
like secgw, a non-empty set needs at least one ``sa in``), ``replay_window`` is ``-w``, ``esn``
is ``-e``, ``engine`` picks the library (``-l``) or the legacy ESP path, ``mtu`` is ``--mtu``
(L3 bytes; longer packets are dropped at TX as ``mtu-exceeded``, secgw without reassembly;
None, this API's default, checks no MTU: an in-memory gateway has no links, and the harness's
offline DUT sends full-size frames that ESP makes longer; the CLIs default to secgw's 1500),
``enabled_ports`` is ``-p``: packets routed to any other port are dropped as ``no-tx-port``.
Its default (None) enables every port: the unprotected ports, the ports of the routes and the
inline SAs' ``port_id`` (``ports()``), so offline nothing is dropped for it unless asked; the
live runner enables the ports that have an interface. Config errors raise ``ConfigError``
(``FILE:LINE:COL: error: ...``); bad options raise ``GatewayOptionError``.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from gateway_ref.cfg import Config, load_cfg, parse_cfg
from gateway_ref.cfg.records import Direction
from gateway_ref.crypto.placement_lookaside import Job, run_jobs
from gateway_ref.datapath.espops import Burst, EspOps, Finish, Prepare, SaStats, Whole
from gateway_ref.datapath.pipeline import Datapath, DatapathOptions
from gateway_ref.esp import (Engine, EspSa, decrypt_finish, decrypt_prepare, encrypt_finish, encrypt_prepare,
                             esp_decrypt, esp_decrypt_burst, esp_encrypt, make_sa)
from gateway_ref.tables import Tables, build_tables


def _stats(sa: EspSa) -> SaStats:
    rt = sa.rt
    return SaStats(rt.packets, rt.bytes, dict(rt.drops))


def _bind(sa: EspSa, outbound: bool) -> tuple[Prepare, Finish, Whole, Burst | None]:
    """The SA's own closures (what the esp API functions dispatch to): one call less per packet."""
    if outbound:
        return sa.enc_prepare, sa.enc_finish, sa.enc_sync, None
    return sa.dec_prepare, sa.dec_finish, sa.dec_sync, sa.dec_burst


MAX_MTU = 65535  # secgw's --mtu limit


class GatewayOptionError(ValueError):
    """An option the gateway refuses (the message says which and why, as secgw would)."""


def check_options(cfg: Config, unprotected_ports: frozenset[int], replay_window: int, mtu: int | None,
                  enabled_ports: frozenset[int] | None) -> None:
    """secgw's start-up checks of its command line against the cfg (secgw-reference.md 2)."""
    if replay_window < 0:
        raise GatewayOptionError(f"replay_window must be >= 0, got {replay_window}")
    if mtu is not None and not 1 <= mtu <= MAX_MTU:
        raise GatewayOptionError(f"mtu must be 1..{MAX_MTU}, got {mtu}")
    if unprotected_ports and not any(r.direction is Direction.IN for r in cfg.sa):
        raise GatewayOptionError("Cannot use unprotected portmask without configured SA inbound "
                                 f"(unprotected ports {sorted(unprotected_ports)}, no 'sa in' in the cfg)")
    if enabled_ports is not None and not unprotected_ports <= enabled_ports:
        raise GatewayOptionError(f"unprotected ports {sorted(unprotected_ports - enabled_ports)} are not "
                                 f"among the enabled ports {sorted(enabled_ports)}")


ESP_OPS = EspOps(encrypt_prepare, encrypt_finish, decrypt_prepare, decrypt_finish, esp_encrypt, esp_decrypt,
                 esp_decrypt_burst,
                 stats=_stats, bind=_bind)


class Gateway:
    """One reference gateway instance. Not thread-safe: call it from one thread."""

    def __init__(self, cfg: Config, tables: Tables, datapath: Datapath, unprotected_ports: frozenset[int]) -> None:
        self.cfg = cfg
        self.tables = tables
        self.unprotected_ports = unprotected_ports
        self._dp = datapath

    @classmethod
    def from_cfg_text(cls, text: str, source: str = "<cfg>", *, engine: str = "library",
                      **options: Any) -> Gateway:
        """Parse, cross-check and build (options as ``from_config``)."""
        return cls.from_config(parse_cfg(text, source, engine=engine), engine=engine, **options)

    @classmethod
    def from_cfg_file(cls, path: str | os.PathLike[str], *, engine: str = "library", **options: Any) -> Gateway:
        """Like ``from_cfg_text`` with the file's text; read errors are ConfigErrors naming the file."""
        return cls.from_config(load_cfg(path, engine=engine), engine=engine, **options)

    @classmethod
    def from_config(cls, cfg: Config, *, unprotected_ports: frozenset[int] = frozenset({0}),
                    replay_window: int = 0, esn: bool = False, engine: str = "library",
                    port_macs: dict[int, bytes] | None = None,
                    lookaside_runner: Callable[[Sequence[Job]], None] = run_jobs,
                    mtu: int | None = None, enabled_ports: frozenset[int] | None = None,
                    fast_path: bool = True) -> Gateway:
        """Build tables, ESP SAs (algorithm support is checked here) and the datapath.
        ``lookaside_runner`` runs one burst on the engine thread; ``fast_path=False`` sends
        every packet through the graph (``datapath.fast_out``)."""
        unprotected_ports = frozenset(unprotected_ports)
        enabled = None if enabled_ports is None else frozenset(enabled_ports)
        check_options(cfg, unprotected_ports, replay_window, mtu, enabled)
        tables = build_tables(cfg, port_macs=port_macs)
        esp_engine = Engine(engine)
        esp_sas = {
            (rule.direction, rule.spi): make_sa(rule, cfg.sa_inner_family[(rule.direction, rule.spi)],
                                                replay_window=replay_window, esn=esn, engine=esp_engine)
            for rule in cfg.sa
        }
        options = DatapathOptions(unprotected_ports, lookaside_runner=lookaside_runner, mtu=mtu, ports=enabled,
                                  fast_path=fast_path)
        datapath = Datapath(cfg, tables, ESP_OPS, esp_sas, options)
        return cls(cfg, tables, datapath, unprotected_ports)

    def process(self, port: int, frames: list[bytes]) -> dict[int, list[bytes]]:
        """Receive ``frames`` on ``port``; return the frames sent per port (ready lookaside
        completions included)."""
        return self._dp.process(port, frames)

    @property
    def pending(self) -> int:
        """Lookaside ops (no-offload, lookaside-protocol) submitted and not yet finished: their
        packets come out of a later ``process`` (even with no frames) or ``flush``."""
        return self._dp.pending

    def flush(self) -> dict[int, list[bytes]]:
        """Wait for every outstanding lookaside op, finish them and return what they sent."""
        return self._dp.flush()

    def counters(self) -> dict[str, Any]:
        """totals (rx/tx/dropped/pending), drops by reason name, per SA ("out/1001"), per
        policy (spd4/spd6 -> in/out -> protect/bypass/discard/unchecked), per port, per node."""
        return self._dp.snapshot()

    def node_drop_reasons(self) -> dict[str, list[str]]:
        """Per datapath node, the drop reasons (counter names) it declares."""
        return {node: sorted(r.value for r in reasons) for node, reasons in self._dp.declared_drops().items()}

    def ports(self) -> list[int]:
        """Every port the cfg and options enable: unprotected ports, route ports, inline ``port_id``s."""
        ports = set(self.unprotected_ports) | {r.port for r in self.cfg.rt}
        ports |= {r.port_id for r in self.cfg.sa if r.port_id is not None and r.direction is Direction.OUT}
        return sorted(ports)

    def close(self) -> None:
        """Stop the lookaside worker. Idempotent."""
        self._dp.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def merge_outputs(into: dict[int, list[bytes]], more: Mapping[int, list[bytes]]) -> dict[int, list[bytes]]:
    """Append ``more``'s frames to ``into`` per port (helper for callers collecting output)."""
    for port, frames in more.items():
        into.setdefault(port, []).extend(frames)
    return into
