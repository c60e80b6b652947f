"""Compile a ``StreamSpec`` once and build its frames fast: no scapy per packet, one template
per distinct size, byte offsets and incremental checksums (RFC 1624) for the signature
sequence number and every variation, a cached Ethernet header, the codec's hot-path ESP
frame builder.

Frames are Ethernet frames *without* the FCS (what a socket sends; the NIC adds 4 bytes):
``len(frame) == frame_size - 4`` for a clear stream. Destination MAC = the DUT port's MAC,
source MAC = the tester's MAC on that port.
"""
from __future__ import annotations

import enum
import random
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, NamedTuple

from harness.codec.checksum import ones_sum, pseudo_header_sum
from harness.codec.esp_encode import EspEncoder
from harness.codec.ethernet import EtherType, build_ethernet
from harness.codec.spec import EspMode
from harness.stream.signature import SEQ_OFFSET, Signature, fill, pack_signature
from harness.stream.spec import StreamSpec
from harness.stream.template import Layout, assemble, layout_of
from harness.stream.variation import FieldSlot, compile_slot

if TYPE_CHECKING:
    from harness.scenario.scenario import Scenario



class PacketKind(enum.Enum):
    CLEAR = "clear"
    ESP = "esp"


class SentPacket(NamedTuple):
    """What the verifier needs about one sent frame. A NamedTuple (immutable, cheap to
    create) because one is made per packet."""

    stream_id: int
    seq: int  # index in the stream from 0 = the signature's u32 seq (StreamSpec.count <= 2**32)
    port: int  # DUT port the frame is sent into
    frame: bytes
    kind: PacketKind
    spi: int | None  # ESP only
    esp_seq: int | None  # ESP only: full (64-bit with ESN) sequence number


@dataclass(frozen=True)
class PortMacs:
    """MACs of one DUT port: frames go to ``dut_mac`` from ``tester_mac``."""

    dut_mac: bytes
    tester_mac: bytes


def port_macs(target: Scenario | PortMacs, port: int) -> PortMacs:
    """The MACs to use for ``port``, from a scenario or given directly."""
    if isinstance(target, PortMacs):
        return target
    p = target.port(port)
    return PortMacs(p.dut_mac, p.tester_mac)


def _fold(total: int) -> int:
    return 0xFFFF - total % 0xFFFF


class _SizeTemplate:
    """One L3 size of a stream, compiled: base bytes (signature seq 0) and checksum sums."""

    def __init__(self, headers: bytes, layout: Layout, l3_len: int, stream_id: int) -> None:
        sig = pack_signature(Signature(stream_id, 0))
        payload_len = l3_len - layout.payload_offset
        self.base = assemble(headers, layout, sig + fill(payload_len - len(sig)))
        self.layout = layout
        self.seq_off = layout.payload_offset + SEQ_OFFSET
        base = self.base
        self.ipv4_sum = ones_sum(base[:10] + b"\x00\x00" + base[12:layout.l4_offset]) if layout.version == 4 else 0
        off = layout.l4_checksum_offset
        self.l4_sum = 0
        if off is not None:
            seg = base[layout.l4_offset:off] + b"\x00\x00" + base[off + 2:]
            self.l4_sum = ones_sum(seg)
            if layout.pseudo_header:
                s, d, w = layout.addr_offsets
                self.l4_sum += pseudo_header_sum(base[s:s + w], base[d:d + w], layout.proto, len(seg))

    def fast(self) -> Callable[[int], bytes]:
        """``build(seq) -> L3 bytes`` for streams without variations: 1 pack, 2 joins."""
        base, seq_off, off = self.base, self.seq_off, self.layout.l4_checksum_offset
        post = base[seq_off + 4:]
        if off is None:
            pre = base[:seq_off]
            pack4 = struct.Struct(">I").pack
            return lambda seq: pre + pack4(seq) + post
        pre, l4_sum = base[:off], self.l4_sum
        pack = struct.Struct(f">H{seq_off - off - 2}sI").pack
        mid = base[off + 2:seq_off]
        return lambda seq: pre + pack(0xFFFF - (l4_sum + seq) % 0xFFFF, mid, seq) + post

    def general(self, slots: tuple[FieldSlot, ...]) -> Callable[[int, list[int]], bytes]:
        """``build(seq, values) -> L3 bytes`` writing each variation and fixing checksums."""
        base, seq_off, lay = self.base, self.seq_off, self.layout
        ipv4_sum, l4_sum, l4c = self.ipv4_sum, self.l4_sum, lay.l4_checksum_offset
        v4 = lay.version == 4
        bases = [(int.from_bytes(base[s.offset:s.offset + s.width], "big") & s.mask) >> s.shift for s in slots]
        plan = list(zip(slots, bases))
        pack_i, pack_h = struct.Struct(">I").pack_into, struct.Struct(">H").pack_into

        def build(seq: int, values: list[int]) -> bytes:
            buf = bytearray(base)
            s4, sl = ipv4_sum, l4_sum + seq
            for (slot, old), value in zip(plan, values):
                o, w = slot.offset, slot.width
                if slot.shift or slot.mask != (1 << 8 * w) - 1:
                    word = int.from_bytes(buf[o:o + w], "big") & ~slot.mask
                    buf[o:o + w] = (word | (value << slot.shift) & slot.mask).to_bytes(w, "big")
                else:
                    buf[o:o + w] = value.to_bytes(w, "big")
                s4 += (value - old) * slot.ipv4_factor
                sl += (value - old) * slot.l4_factor
            pack_i(buf, seq_off, seq)
            if v4:
                pack_h(buf, 10, _fold(s4))
            if l4c is not None:
                pack_h(buf, l4c, _fold(sl))
            return bytes(buf)
        return build


class CompiledStream:
    """A stream compiled for one port's MACs. ``l3(k)`` is not offered: packets are built in
    order because random variations and CBC IVs come from sequential seeded generators."""

    def __init__(self, stream: StreamSpec, macs: PortMacs) -> None:
        self.stream = stream
        headers = stream.template.headers()
        layout = layout_of(headers)
        cycle = stream.sizes.l3_cycle()
        compiled = {size: _SizeTemplate(headers, layout, size, stream.stream_id) for size in set(cycle)}
        self.slots = tuple(compile_slot(v, layout, layout.proto in (6, 17)) for v in stream.variations)
        if self.slots:
            self._builders_general = [compiled[s].general(self.slots) for s in cycle]
        self._builders_fast = [compiled[s].fast() for s in cycle]
        self._finish = self._make_finisher(macs, layout.version)
        self._sealed = self._make_sealed(compiled[cycle[0]], layout.version) if len(set(cycle)) == 1 else None

    def _make_finisher(self, macs: PortMacs, inner_version: int) -> Callable[[bytes, int], bytes]:
        esp = self.stream.esp
        self._encoder: EspEncoder | None = None
        if esp is None:
            eth = build_ethernet(macs.dut_mac, macs.tester_mac, EtherType.IPV4 if inner_version == 4 else EtherType.IPV6)
            return lambda l3, _seq: eth + l3
        sa = esp.sa
        outer = inner_version if sa.mode is EspMode.TRANSPORT or sa.tunnel_src is None else sa.tunnel_src.version
        eth = build_ethernet(macs.dut_mac, macs.tester_mac, EtherType.IPV4 if outer == 4 else EtherType.IPV6)
        encoder = EspEncoder(sa, rng=random.Random(self.stream.seed).randbytes)
        self._eth, self._encoder = eth, encoder
        if esp.iv is not None:
            iv, encode = esp.iv, encoder.encode
            return lambda l3, seq: eth + encode(l3, seq, iv=iv)
        return encoder.frame_builder(eth)

    def _make_sealed(self, tmpl: _SizeTemplate, inner_version: int) -> Callable[[int, int], list[bytes]] | None:
        """All frames of a one-size ESP stream without variations or a fixed IV whose SA the
        codec seals in one call (AEAD tunnel, no ESN): the L3 bytes are assembled inline with
        the ESP trailer already appended, and the outer header is a constant."""
        esp = self.stream.esp
        if esp is None or esp.iv is not None or self.slots or self._encoder is None:
            return None
        base = tmpl.base
        sized = self._encoder.sized_builder(self._eth, len(base), inner_version, base[1] if inner_version == 4
                                            else ((base[0] & 0x0F) << 4) | (base[1] >> 4))
        if sized is None:
            return None
        seal, trailer = sized
        seq_off, off = tmpl.seq_off, tmpl.layout.l4_checksum_offset
        post = base[seq_off + 4:] + trailer
        if off is None:
            pre, pack4 = base[:seq_off], struct.Struct(">I").pack
            return lambda start, count: [seal(pre + pack4(k) + post, start + k) for k in range(count)]
        pre, l4_sum, mid = base[:off], tmpl.l4_sum, base[off + 2:seq_off]
        pack = struct.Struct(f">H{seq_off - off - 2}sI").pack
        return lambda start, count: [seal(pre + pack(0xFFFF - (l4_sum + k) % 0xFFFF, mid, k) + post, start + k)
                                     for k in range(count)]

    def _l3_packets(self) -> Iterator[bytes]:
        count, n = self.stream.count, len(self._builders_fast)
        if not self.slots:
            builders = self._builders_fast
            if n == 1:
                build = builders[0]
                return (build(k) for k in range(count))
            return (builders[k % n](k) for k in range(count))
        gens = [v.values(self.stream.seed, i) for i, v in enumerate(self.stream.variations)]
        general = self._builders_general
        return (general[k % n](k, [next(g) for g in gens]) for k in range(count))

    def frames(self) -> Iterator[bytes]:
        """The stream's Ethernet frames (no FCS), lazily, in order."""
        finish = self._finish
        start = self.stream.esp.seq_start if self.stream.esp is not None else 0
        return (finish(l3, start + k) for k, l3 in enumerate(self._l3_packets()))

    def frame_list(self) -> list[bytes]:
        """All frames at once (the fastest way to get them)."""
        finish = self._finish
        start = self.stream.esp.seq_start if self.stream.esp is not None else 0
        if self._sealed is not None:
            return self._sealed(start, self.stream.count)
        if not self.slots and len(self._builders_fast) == 1:
            build = self._builders_fast[0]
            return [finish(build(k), start + k) for k in range(self.stream.count)]
        return list(self.frames())

    def packets(self) -> Iterator[SentPacket]:
        """``frames()`` wrapped as ``SentPacket`` records for the verifier."""
        s, esp = self.stream, self.stream.esp
        if esp is None:
            return (SentPacket(s.stream_id, k, s.port, f, PacketKind.CLEAR, None, None)
                    for k, f in enumerate(self.frames()))
        spi, start = esp.sa.spi, esp.seq_start
        return (SentPacket(s.stream_id, k, s.port, f, PacketKind.ESP, spi, start + k)
                for k, f in enumerate(self.frames()))


def compile_stream(stream: StreamSpec, target: Scenario | PortMacs) -> CompiledStream:
    """Pre-compile ``stream`` for the MACs of its port in ``target``."""
    return CompiledStream(stream, port_macs(target, stream.port))


def build_frames(stream: StreamSpec, target: Scenario | PortMacs) -> list[bytes]:
    """All Ethernet frames (no FCS) of ``stream``, in order."""
    return compile_stream(stream, target).frame_list()


def iter_frames(stream: StreamSpec, target: Scenario | PortMacs, limit: int | None = None) -> Iterator[bytes]:
    """Lazily built frames, optionally only the first ``limit``."""
    frames = compile_stream(stream, target).frames()
    return frames if limit is None else islice(frames, limit)


def build_packets(stream: StreamSpec, target: Scenario | PortMacs) -> list[SentPacket]:
    """All frames with their ``SentPacket`` records."""
    return list(compile_stream(stream, target).packets())
