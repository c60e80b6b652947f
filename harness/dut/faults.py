"""A fault-injecting DUT: wraps any ``Dut`` and alters what it emits, so tests can show that
the conformance and negative suites fail (or warn) on each way a gateway can go wrong.

``FaultyDut(inner, Fault(FaultKind.X, ...))`` passes configuration and traffic to ``inner``
unchanged; on ``collect`` it rewrites the frames ``inner`` emitted. A fault applies to one
chosen packet (``index``: the n-th packet it can apply to since ``configure``, counting from 0)
or, with ``every=True``, to every such packet. ``applied`` counts the packets altered, so a
test can make sure the fault really happened.

ESP-internal faults re-seal the packet with the keys of the cfg the wrapper was configured
with (``faults_esp``, using gateway_ref's ESP crypto: this is the device side), so the ICV is
valid and only the injected fault is wrong.

The faults, which packets they hit, and what should catch them (requirement ids of
``harness.verify.requirements``; "secgw" = profile secgw-library, "rfc" = rfc-strict):

==================  ==========  =====================================================  ============================
kind                packets     what the DUT does wrong                                caught by
==================  ==========  =====================================================  ============================
ttl-wrong           clear       TTL / hop limit of forwarded or decrypted packets      SG-TTL-LIB (secgw, WARN);
                    (every)     is off (default: received - 2)                         A7 (rfc)
dscp-not-copied     esp (every) outer DSCP not copied from the inner header (0)        SG-TOS-COPY (secgw, WARN);
                                                                                       A6 (rfc)
ecn-not-copied      esp (every) outer ECN not copied (Not-ECT)                         SG-TOS-COPY (secgw, WARN);
                                                                                       A8 (rfc)
seq-reused          esp         a packet re-sent with its predecessor's sequence       E3
                                number (valid ICV)
iv-reused           esp         a packet sealed with its predecessor's IV (valid ICV)  G4 (AEAD, CTR), G6 (CBC)
pad-wrong           esp         pad bytes 0, 0, ... instead of 1, 2, ... (valid ICV)   E10
icv-corrupted       esp         last ICV byte inverted                                 E9, or the algorithm's ICV
                                                                                       rule (G2 GCM, G5 GMAC,
                                                                                       G7 HMAC-SHA-2, G9 ChaCha)
drop-one            any         one packet not emitted                                 X-DELIVERY
reorder             esp         two consecutive packets on a port swapped              E3 (ESP); clear: counted as
                                                                                       reordered, no finding
duplicate           any         one packet emitted twice                               X-DELIVERY (clear), E3 (ESP)
wrong-spi           esp         SPI replaced (default 0; valid ICV)                    E1 (SPI < 256), else
                                                                                       X-UNEXPECTED + X-DELIVERY
inner-byte-flipped  clear       one payload byte of a forwarded/decrypted packet       X-INTACT
                                flipped
wrong-outer-dst     esp         outer destination address wrong (checksum fixed)       A6
wrong-next-header   esp         next header 41 for 4 (4 otherwise; valid ICV)          ESP-NH
==================  ==========  =====================================================  ============================
"""
from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from harness.dut import faults_edit as edit
from harness.dut.base import Dut, DutOptions, ReceivedFrame
from harness.dut.faults_esp import EspResealer, OpenedEsp, esp_offset


class FaultKind(enum.Enum):
    TTL_WRONG = "ttl-wrong"
    DSCP_NOT_COPIED = "dscp-not-copied"
    ECN_NOT_COPIED = "ecn-not-copied"
    SEQ_REUSED = "seq-reused"
    IV_REUSED = "iv-reused"
    PAD_WRONG = "pad-wrong"
    ICV_CORRUPTED = "icv-corrupted"
    DROP_ONE = "drop-one"
    REORDER = "reorder"
    DUPLICATE = "duplicate"
    WRONG_SPI = "wrong-spi"
    INNER_BYTE_FLIPPED = "inner-byte-flipped"
    WRONG_OUTER_DST = "wrong-outer-dst"
    WRONG_NEXT_HEADER = "wrong-next-header"


class Target(enum.Enum):
    """Which emitted frames a fault may hit."""

    ESP = "esp"  # ESP of an outbound SA of the cfg, opened with its keys
    CLEAR = "clear"  # IPv4/IPv6 without ESP (forwarded or decrypted)
    ANY = "any"  # either of the above


class FaultInfo(NamedTuple):
    target: Target
    every: bool  # default scope
    catches: str  # requirement ids that must catch it (see the module docstring)


FAULTS: dict[FaultKind, FaultInfo] = {
    FaultKind.TTL_WRONG: FaultInfo(Target.CLEAR, True, "SG-TTL-LIB / A7"),
    FaultKind.DSCP_NOT_COPIED: FaultInfo(Target.ESP, True, "SG-TOS-COPY / A6"),
    FaultKind.ECN_NOT_COPIED: FaultInfo(Target.ESP, True, "SG-TOS-COPY / A8"),
    FaultKind.SEQ_REUSED: FaultInfo(Target.ESP, False, "E3"),
    FaultKind.IV_REUSED: FaultInfo(Target.ESP, False, "G4 / G6"),
    FaultKind.PAD_WRONG: FaultInfo(Target.ESP, False, "E10"),
    FaultKind.ICV_CORRUPTED: FaultInfo(Target.ESP, False, "E9 / G2 / G5 / G7 / G9"),
    FaultKind.DROP_ONE: FaultInfo(Target.ANY, False, "X-DELIVERY"),
    FaultKind.REORDER: FaultInfo(Target.ESP, False, "E3"),
    FaultKind.DUPLICATE: FaultInfo(Target.ANY, False, "X-DELIVERY / E3"),
    FaultKind.WRONG_SPI: FaultInfo(Target.ESP, False, "E1 / X-UNEXPECTED"),
    FaultKind.INNER_BYTE_FLIPPED: FaultInfo(Target.CLEAR, False, "X-INTACT"),
    FaultKind.WRONG_OUTER_DST: FaultInfo(Target.ESP, False, "A6"),
    FaultKind.WRONG_NEXT_HEADER: FaultInfo(Target.ESP, False, "ESP-NH"),
}
_SEQUENCE_FAULTS = frozenset((FaultKind.DROP_ONE, FaultKind.REORDER, FaultKind.DUPLICATE))
_HEADER_EDITS: dict[FaultKind, Callable[[bytes, int | None], bytes | None]] = {
    FaultKind.TTL_WRONG: edit.set_ttl, FaultKind.DSCP_NOT_COPIED: edit.set_dscp,
    FaultKind.ECN_NOT_COPIED: edit.set_ecn, FaultKind.WRONG_OUTER_DST: edit.set_outer_dst,
}


@dataclass(frozen=True)
class Fault:
    """One fault. ``target``/``every`` None take the kind's defaults (``FAULTS``); ``value`` is
    the kind's parameter: the TTL, DSCP, ECN, SPI, next header or pad byte to write, or the
    XOR mask of the outer destination's last byte (None: the documented default)."""

    kind: FaultKind
    index: int = 0
    every: bool | None = None
    target: Target | None = None
    value: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, FaultKind):
            raise ValueError(f"Fault.kind must be one of {[k.value for k in FaultKind]}, got {self.kind!r}")
        if not isinstance(self.index, int) or self.index < 0:
            raise ValueError(f"Fault.index must be an integer >= 0, got {self.index!r}")
        if self.target is not None and not isinstance(self.target, Target):
            raise ValueError(f"Fault.target must be one of {[t.value for t in Target]} or None, got {self.target!r}")
        needs_esp = self.kind not in _SEQUENCE_FAULTS and FAULTS[self.kind].target is Target.ESP
        if needs_esp and self.target not in (None, Target.ESP):
            raise ValueError(f"Fault {self.kind.value} only applies to ESP packets, not {self.target.value}")

    @property
    def scope_every(self) -> bool:
        return FAULTS[self.kind].every if self.every is None else self.every

    @property
    def packets(self) -> Target:
        return FAULTS[self.kind].target if self.target is None else self.target

    @property
    def name(self) -> str:
        """Readable id, e.g. ``pad-wrong`` or ``drop-one-clear-3``."""
        parts = [self.kind.value]
        if self.target is not None:
            parts.append(self.target.value)
        if self.index:
            parts.append(str(self.index))
        return "-".join(parts)


class _Frame(NamedTuple):
    rx: ReceivedFrame
    side: Target | None  # ESP, CLEAR, or None for anything else
    opened: OpenedEsp | None


class FaultyDut:
    """``inner`` with ``fault`` injected into what it emits (see the module docstring)."""

    def __init__(self, inner: Dut, fault: Fault, *, rng_seed: int = 0) -> None:
        self.inner, self.fault = inner, fault
        self.name = f"{inner.name}+{fault.name}"
        self.min_frame_len = inner.min_frame_len
        self._seed = rng_seed
        self._reset(None)

    def _reset(self, resealer: EspResealer | None) -> None:
        self._resealer = resealer
        self._rng = random.Random(self._seed)
        self._seen = 0  # packets the fault could apply to, since configure
        self._previous: dict[int, OpenedEsp] = {}  # last ESP packet per SPI, as the DUT sent it
        self.applied = 0

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        self.inner.configure(cfg_text, options)
        self._reset(EspResealer(cfg_text, engine=options.engine, esn=options.esn))

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        self.inner.send(port, frames)

    def counters(self) -> dict | None:
        return self.inner.counters()

    def close(self) -> None:
        self.inner.close()

    def collect(self) -> list[ReceivedFrame]:
        frames = [self._classify(rx) for rx in self.inner.collect()]
        if self.fault.kind in _SEQUENCE_FAULTS:
            return self._sequence_fault(frames)
        return [self._packet_fault(f) for f in frames]

    def _classify(self, rx: ReceivedFrame) -> _Frame:
        frame = rx.frame
        if len(frame) < edit.ETH_LEN + 20 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            return _Frame(rx, None, None)
        if self._resealer is None:
            raise RuntimeError("FaultyDut used before configure()")
        opened = self._resealer.open(frame[edit.ETH_LEN:])
        if opened is not None:
            return _Frame(rx, Target.ESP, opened)
        if esp_offset(frame[edit.ETH_LEN:], self._resealer.udp_encap) is not None:
            return _Frame(rx, None, None)  # ESP the wrapper cannot open: left alone
        return _Frame(rx, Target.CLEAR, None)

    def _eligible(self, f: _Frame) -> bool:
        want = self.fault.packets
        return f.side is not None and (want is Target.ANY or f.side is want)

    def _take(self) -> bool:
        """Count one packet the fault can apply to; True when it is the chosen one."""
        n, self._seen = self._seen, self._seen + 1
        hit = self.fault.scope_every or n == self.fault.index
        self.applied += hit
        return hit

    def _packet_fault(self, f: _Frame) -> ReceivedFrame:
        out = None
        if self._eligible(f):
            altered = self._edit(f)
            if altered is not None and self._take():
                out = altered
        if f.opened is not None:
            self._previous[f.opened.spi] = f.opened
        return f.rx if out is None else ReceivedFrame(f.rx.port, f.rx.ts_ns, out)

    def _edit(self, f: _Frame) -> bytes | None:
        """The altered frame, or None when this packet cannot carry the fault."""
        k, value, frame, opened = self.fault.kind, self.fault.value, f.rx.frame, f.opened
        header_edit = _HEADER_EDITS.get(k)
        if header_edit is not None:
            return header_edit(frame, value)
        if k is FaultKind.INNER_BYTE_FLIPPED:
            return edit.flip_inner_byte(frame, self._rng)
        assert opened is not None and self._resealer is not None  # ESP-only kinds, by _eligible
        rs, prev = self._resealer, self._previous.get(opened.spi)
        if k is FaultKind.SEQ_REUSED:
            return None if prev is None else edit.reuse_seq(frame, rs, opened, prev.seq)
        if k is FaultKind.IV_REUSED:
            return None if prev is None else edit.reuse_iv(frame, rs, opened, prev.iv)
        if k is FaultKind.PAD_WRONG:
            return edit.wrong_padding(frame, rs, opened, value)
        if k is FaultKind.ICV_CORRUPTED:
            return edit.flip_icv(frame, rs, opened)
        if k is FaultKind.WRONG_SPI:
            return edit.wrong_spi(frame, rs, opened, value)
        assert k is FaultKind.WRONG_NEXT_HEADER
        return edit.wrong_next_header(frame, rs, opened, value)

    def _sequence_fault(self, frames: list[_Frame]) -> list[ReceivedFrame]:
        rxs = [f.rx for f in frames]
        if self.fault.kind is FaultKind.REORDER:
            return self._reorder(frames, rxs)
        out: list[ReceivedFrame] = []
        for f in frames:
            if self._eligible(f) and self._take():
                out += [f.rx, f.rx] if self.fault.kind is FaultKind.DUPLICATE else []
            else:
                out.append(f.rx)
        return out

    def _reorder(self, frames: list[_Frame], rxs: list[ReceivedFrame]) -> list[ReceivedFrame]:
        """Swap each chosen packet with the next eligible packet on the same port."""
        waiting: dict[int, int] = {}  # port -> position of a chosen packet awaiting its successor
        for i, f in enumerate(frames):
            if not self._eligible(f):
                continue
            j = waiting.pop(f.rx.port, None)
            if j is not None:
                rxs[i], rxs[j] = rxs[j], rxs[i]
            elif self._take():
                waiting[f.rx.port] = i
        self.applied -= len(waiting)  # no successor on that port: nothing was reordered
        return rxs
