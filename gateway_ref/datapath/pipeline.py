"""One gateway's datapath: the node graph wired from the tables, its SAs, ports and engine.

Graph (node names stable)::

    [port-rx] -> ethernet-input -> ipsec-classify   (common IPv4: ethernet-input -> spd-out | sad-in | spd-in)
    ipsec-classify -> spd-out -> esp-encrypt [-> crypto-lookaside ~> esp-encrypt-post] -> tx | route
    ipsec-classify -> sad-in -> esp-decrypt [-> crypto-lookaside ~> esp-decrypt-post] -> spd-in -> route
    ipsec-classify -> spd-in ;  spd-out -> route ;  route -> tx ;  every node -> drop

In front of the graph, two fast paths take the common cases and decide them once per flow
(``fast_out.py``: protected-port IPv4 flows protected by a cpu-crypto SA; ``fast_in.py``:
bursts of IPv4 ESP for cpu-crypto SAs, their decrypted packets forwarded per flow verdict);
what they do not take goes through the graph, which stays the reference for every packet.

``~>``: lookaside completions come back on a later ``process``/``flush``. ``port-rx`` is the
emulated NIC of an unprotected port with inline inbound SAs (``ports.py``); inline outbound
crypto runs in ``tx``. Encrypted packets of an SA with a fixed port skip ``route``.

Per SA the ``type`` picks the wiring (``crypto.placement``): cpu-crypto runs the crypto inside
``esp-encrypt``/``esp-decrypt`` (outbound through the SA's fused fast path where it has one);
no-offload hands bursts to the lookaside engine thread and finishes them on a
later ``poll``/``flush``; inline types have the emulated ports run crypto at RX/TX; protocol
offloads run all of ESP in their executor. The ESP code is the same for every placement.

One visible difference, by design: burst placements run the replay pre-check for a whole burst
before any packet's finish, protocol offloads go packet by packet. So a corrupted copy of a
packet accepted earlier in the same burst counts as ``icv-failed`` in the former and as
``replay`` in the latter; either way it is dropped and counted once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from gateway_ref.cfg.records import Config, Direction, Family, OffloadType
from gateway_ref.crypto.placement import Placement, placement_for
from gateway_ref.crypto.placement_lookaside import Job, LookasideEngine, run_jobs
from gateway_ref.datapath.buf import Buf, SaCtx
from gateway_ref.datapath.counters import Counters
from gateway_ref.datapath.espops import EspOps
from gateway_ref.datapath.fast_in import NAME as FAST_IN
from gateway_ref.datapath.fast_in import InboundFastPath
from gateway_ref.datapath.fast_out import NAME as FAST_OUT
from gateway_ref.datapath.fast_out import OutboundFastPath
from gateway_ref.datapath.graph import Graph
from gateway_ref.datapath.nodes_crypto import CryptoLookaside, completions_to_inject
from gateway_ref.datapath.nodes_fwd import Drop, Route, Tx
from gateway_ref.datapath.nodes_in import EspDecrypt, EspDecryptPost, SadIn, SpdIn
from gateway_ref.datapath.nodes_input import EthernetInput, IpsecClassify
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.nodes_out import EspEncrypt, EspEncryptPost, SpdOut
from gateway_ref.datapath.ports import NODE as PORT_RX_NODE
from gateway_ref.datapath.ports import PORT_RX_DROPS, InlineRx

_PROTOCOL_TYPES = (OffloadType.INLINE_PROTOCOL, OffloadType.LOOKASIDE_PROTOCOL)


@dataclass(frozen=True)
class DatapathOptions:
    """``unprotected_ports``: secgw ``-u``; ``mtu``: ``--mtu`` (L3 bytes; longer packets are
    dropped at TX, as secgw does without reassembly; None: no limit); ``ports``: the enabled ports (secgw
    ``-p``), None for every port: a packet routed to any other port is dropped at TX;
    ``fast_path``: off runs every packet through the graph (the fast path's equivalence tests)."""

    unprotected_ports: frozenset[int]
    lookaside_runner: Callable[[Sequence[Job]], None] = run_jobs
    mtu: int | None = None
    ports: frozenset[int] | None = None
    fast_path: bool = True  # ``ipsec-out-fast``/``ipsec-in-fast`` in front of the graph


class Datapath:
    """Frames in per port, frames out per port; counters. Single-threaded except the engine."""

    def __init__(self, cfg: Config, tables: Any, esp: EspOps, esp_sas: dict[tuple[Direction, int], Any],
                 options: DatapathOptions) -> None:
        self.counters = Counters()
        self.unprotected = options.unprotected_ports
        self.sas_out, self.sas_in = _sa_contexts(cfg, tables, esp_sas, esp)
        self.all_sas = sorted([*self.sas_out.values(), *self.sas_in.values()], key=lambda s: (not s.outbound, s.spi))
        natt = any(r.udp_encap and r.type in _PROTOCOL_TYPES for r in cfg.sa)
        needs_engine = any(s.placement in (Placement.LOOKASIDE, Placement.LOOKASIDE_PROTOCOL) for s in self.all_sas)
        self.engine = LookasideEngine(runner=options.lookaside_runner) if needs_engine else None
        inline_in = any(s.placement.is_inline for s in self.sas_in.values())
        self.inline_rx = InlineRx(tables, self.sas_in, natt) if inline_in else None
        spd_out = {f: tables.spd(f, Direction.OUT) for f in Family}
        spd_in = {f: tables.spd(f, Direction.IN) for f in Family}
        self.tx = Tx(tables, self.counters, options.mtu, options.ports)
        nodes = [
            EthernetInput(self.unprotected, natt), IpsecClassify(self.unprotected, natt),
            SpdOut(spd_out, self.sas_out, self.counters), EspEncrypt(),
            SadIn(tables, self.sas_in), EspDecrypt(),
            EspEncryptPost(), EspDecryptPost(), SpdIn(spd_in, self.counters),
            Route(tables), self.tx, Drop(self.counters), CryptoLookaside(self.engine),
        ]
        self.graph = Graph(nodes)
        self.fast = (OutboundFastPath(spd_out[Family.IPV4], self.sas_out, self.tx, self.counters, natt)
                     if options.fast_path else None)
        route, sad_in = self.graph.nodes["route"], self.graph.nodes["sad-in"]
        self.fast_in = (InboundFastPath(sad_in.sad[0], spd_in[Family.IPV4], route.lookup4, self.tx, self.counters)
                        if options.fast_path and self.inline_rx is None else None)

    def process(self, port: int, frames: list[bytes]) -> dict[int, list[bytes]]:
        """Run one received burst; return frames sent per port (with ready lookaside completions)."""
        self.counters.port_rx[port] += len(frames)
        if port not in self.unprotected:
            if self.fast is not None:
                handled = self.fast.run(frames)
                if handled:
                    frames = frames[handled:]
        elif self.fast_in is not None:
            decrypted = self.fast_in.run(port, frames)
            if decrypted is not None:
                frames = []
                if decrypted:
                    self.graph.run({"spd-in": decrypted})
        if frames:
            bufs = list(map(Buf, frames, repeat(port, len(frames))))
            if self.inline_rx is not None and port in self.unprotected:
                self.graph.run(self.inline_rx.receive(bufs))
            else:
                self.graph.run({"ethernet-input": bufs})
        if self.engine is not None:
            done = self.engine.poll()
            if done:
                self.graph.run(completions_to_inject(done))
        return self.tx.take_frames()

    def flush(self, timeout: float = 60.0) -> dict[int, list[bytes]]:
        """Wait for every outstanding lookaside op, finish them, return what they sent."""
        if self.engine is not None:
            done = self.engine.drain(timeout)
            if done:
                self.graph.run(completions_to_inject(done))
        return self.tx.take_frames()

    def declared_drops(self) -> dict[str, frozenset[DropReason]]:
        """Per node (and the emulated RX port), the drop reasons it may count."""
        return {PORT_RX_NODE: PORT_RX_DROPS} | {n.name: n.drops for n in self.graph.order}

    @property
    def pending(self) -> int:
        return self.engine.in_flight if self.engine is not None else 0

    def snapshot(self) -> dict[str, Any]:
        nodes = {n.name: {"calls": n.calls, "packets": n.packets} for n in self.graph.order}
        for fast, name in ((self.fast, FAST_OUT), (self.fast_in, FAST_IN)):
            if fast is not None:
                nodes[name] = {"calls": fast.calls, "packets": fast.packets}
        return self.counters.snapshot(self.all_sas, self.pending, nodes)

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close()


def _sa_contexts(cfg: Config, tables: Any, esp_sas: dict[tuple[Direction, int], Any],
                 ops: EspOps) -> tuple[dict[int, SaCtx], dict[int, SaCtx]]:
    """(outbound, inbound) SPI -> SaCtx, each with its placement and fixed tx port if any."""
    out: dict[int, SaCtx] = {}
    inb: dict[int, SaCtx] = {}
    for rule in cfg.sa:
        key = (rule.direction, rule.spi)
        placement = placement_for(rule.type)
        ctx = SaCtx(rule, esp_sas[key], ops, placement, cfg.sa_inner_family[key])
        if ctx.outbound and ctx.tx_port < 0 and ctx.dst is not None:
            port = tables.route(ctx.outer_family, ctx.dst)
            ctx.tx_port = -1 if port is None else port
        (out if rule.direction is Direction.OUT else inb)[rule.spi] = ctx
    return out, inb
