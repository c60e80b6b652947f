"""One fused pass for the common run: model, correlation, byte checks and ESP invariants together.

The general ``verify`` builds an expectation per sent packet, a ``Received`` per frame, then
correlates, checks and feeds the invariants in separate passes. Most runs are simpler: every
sent packet belongs to a fixed-size IPv4/IPv6 flow that is encrypted on a non-ESN tunnel SA
with an IPv4 outer header (or dropped), and the DUT got everything right. For such a run the
expected frame of a flow is the same bytes for every packet except what depends on the
sequence: the ESP sequence number, the outer IPv4 ID (and so its checksum), and the packet's
own bytes (signature, payload). ``fused_verify`` precomputes the constant parts once per flow
(``EncryptFlow``) and, per received frame, decrypts once and compares:

- Ethernet header, outer IPv4 header (version/IHL, TOS, total length, ID, flags, TTL,
  protocol, addresses, a valid checksum), SPI: at least as strict as ``PacketChecker``;
- the authenticated plaintext with the expected inner packet ‖ padding 1..n ‖ pad length ‖
  next header (the inner bytes are the sent frame's, with the flow's edited IP header);
- delivery: the signature names a sent packet of that flow, on that port, once, in order;
- per SA the sequence numbers collected in capture order are exactly first, first+1, ... and
  no IV repeats (RFC 4303 §3.3.3; RFC 4106 §3.1).

It never judges anything wrong: the first frame or packet that does not fit the common case or
is not exactly right makes it return None, and ``verify`` runs the general path, which names
every finding. It returns a result only when the general path would find nothing, so the two
give identical verdicts (a test runs both on good and faulty runs under every profile).
"""
from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice, repeat
from operator import add, itemgetter, le, lt, mod, ne
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidTag

from harness.scenario.model import Direction
from harness.scenario.scenario import Scenario
from harness.verify.correlate import Correlation, FlowStats, Received
from harness.verify.expectations import Expectation
from harness.verify.fused_plan import ESP, ID_FIXED, ID_SEQ, EncryptFlow, FusedPlan, cut, plan_sent
from harness.verify.invariants import SaInvariantStats
from harness.verify.observe import _SIG_KEY, _SIG_OFFSET_V4, Observer, _signature_key
from harness.verify.profiles import Profile


class _PortFrames(NamedTuple):
    """One port's matched frames, in capture order."""

    port: int
    keys: list[tuple[int, int]]
    ts: list[int]
    frames: list[bytes]


class LazyMatches(Mapping):
    """``Correlation.matches`` of a fused run: key -> ``Received``. The index is built on first
    use and each ``Received`` on access, with the observer's general path (only non-ESN SAs
    reach the fused pass, so observing keeps no state)."""

    def __init__(self, ports: list[_PortFrames], observer: Observer) -> None:
        self._ports, self._observer = ports, observer
        self._where: dict[tuple[int, int], tuple[int, int, int, bytes]] | None = None

    def _index(self) -> dict[tuple[int, int], tuple[int, int, int, bytes]]:
        if self._where is None:
            self._where = {}
            for p in self._ports:
                self._where.update(zip(p.keys, zip(repeat(p.port), range(len(p.frames)), p.ts, p.frames)))
        return self._where

    def __getitem__(self, key: tuple[int, int]) -> Received:
        return self._observer.observe(*self._index()[key])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(self._index())

    def __len__(self) -> int:
        return sum(len(p.keys) for p in self._ports)


_ID, _MID4, _SEQ, _HDR = slice(18, 20), slice(20, 24), slice(38, 42), slice(34, 42)
_L2_HEAD4, _ADDRS_SPI, _SEQ_LOW16, _ID_TO_CSUM = slice(0, 18), slice(26, 38), slice(40, 42), slice(18, 26)
_FROM_BYTES = int.from_bytes  # big-endian by default


def _one(values: Iterator[object], expected: object) -> bool:
    """Every value equals ``expected`` (and there is at least one)."""
    return set(values) == {expected}


class _Seen(NamedTuple):
    matched: list[_PortFrames]
    seqs: dict[int, list[int]]  # spi -> ESP sequence numbers in capture order
    ivs: dict[int, list[bytes]]
    ports: dict[int, int]  # stream -> the port its packets came out of


def _open_all(frames: Sequence[bytes], fast: Mapping[int, tuple], sig_offset: int | None
              ) -> tuple[list[bytes], list[Any]] | None:
    """(plaintexts, signature keys) of ``frames`` (IPv4 outer without options, ESP after it, SAs
    the observer opens inline); None when one cannot be opened or read. First tried as a
    fixed-size run on the first frame's SA, opened in C loops (a frame of another size or SA
    fails its ICV there); then frame by frame. Which SA and length each frame really has is
    checked afterwards (``_flow_ok``)."""
    try:
        head = frames[0]
        try:
            pts = _open_uniform(frames, fast[_FROM_BYTES(head[34:38])], 14 + _FROM_BYTES(head[16:18]))
        except InvalidTag:
            pts = None
        if pts is None:
            pts = [_open_one(frame, fast[_FROM_BYTES(frame[34:38])]) for frame in frames]
        if None in pts:
            return None
        return pts, _keys(pts, sig_offset)
    except (InvalidTag, KeyError, IndexError, struct.error):
        return None  # undecryptable, unknown SPI, too short: the general path says which


def _open_uniform(frames: Sequence[bytes], sa: tuple, end: int) -> list[bytes] | None:
    iv_len, icv_len, decrypt, salt, open_ = sa
    iv_end = 42 + iv_len
    if decrypt is not None:  # RFC 4106/4309/7634: nonce = salt ‖ IV, AAD = SPI ‖ seq
        return list(map(decrypt, map(add, repeat(salt), cut(frames, slice(42, iv_end))),
                        cut(frames, slice(iv_end, end)), cut(frames, _HDR)))
    if end - icv_len < iv_end:
        return None
    opened = list(map(open_, cut(frames, _HDR), repeat(b""), cut(frames, slice(42, iv_end)),
                      cut(frames, slice(iv_end, end - icv_len)), cut(frames, slice(end - icv_len, end))))
    return list(map(itemgetter(1), opened)) if all(map(itemgetter(0), opened)) else None


def _open_one(frame: bytes, sa: tuple) -> bytes | None:
    iv_len, icv_len, decrypt, salt, open_ = sa
    iv_end, end = 42 + iv_len, 14 + ((frame[16] << 8) | frame[17])
    if decrypt is not None:
        return decrypt(salt + frame[42:iv_end], frame[iv_end:end], frame[34:42])
    if end - icv_len < iv_end:
        return None
    ok, pt = open_(frame[34:42], b"", frame[42:iv_end], frame[iv_end:end - icv_len], frame[end - icv_len:end])
    return pt if ok else None


def _keys(pts: list[bytes], sig_offset: int | None) -> list[Any]:
    """The signature key of every plaintext: read at ``sig_offset`` in one C loop when every
    flow of the run carries it there (a plaintext that does not is caught by the byte
    comparison with its flow), else as the observer finds it."""
    if sig_offset is not None:
        return list(map(_SIG_KEY.unpack_from, pts, repeat(sig_offset + 4)))
    sig_at, unpack_key = _SIG_OFFSET_V4.get, _SIG_KEY.unpack_from
    out = []
    for pt in pts:
        off = sig_at(pt[9]) if pt[0] == 0x45 else None
        out.append(unpack_key(pt, off + 4) if off is not None else _signature_key(pt))
    return out


def _sig_offset(flows: Sequence[EncryptFlow]) -> int | None:
    """Where every flow's inner packet carries the signature, when that is one place: IPv4
    without options and one protocol with a usual place (observe's ``_SIG_OFFSET_V4``)."""
    heads = {(f.inner_head[0], f.inner_head[9]) for f in flows if len(f.inner_head) == 20}
    if len(heads) != 1 or len(flows) != sum(len(f.inner_head) == 20 for f in flows):
        return None
    first, proto = heads.pop()
    return _SIG_OFFSET_V4.get(proto) if first == 0x45 else None


def _mid_ok(f: EncryptFlow, mid: bytes) -> bool:
    """Outer bytes 6-9 when TTL or DF are not prescribed: among flags and offset only DF may be
    set (and must match when prescribed), TTL as prescribed or non-zero, protocol ESP."""
    flags, offset, ttl, proto = mid
    return (proto == ESP and not offset and not flags & 0xBF and (f.df is None or flags >> 6 == f.df)
            and (ttl != 0 if f.ttl is None else ttl == f.ttl))


def _flow_ok(f: EncryptFlow, frames: Sequence[bytes], pts: Sequence[bytes], sframes: Sequence[bytes]) -> bool:
    """All frames of one flow on its port against the flow's constant parts, in C loops:
    Ethernet and outer IPv4 header (the ID against the ESP sequence's low 16 bits, which the
    caller has matched with the model's), checksum, SPI, and the plaintext = the flow's inner
    header ‖ the sent bytes after it ‖ the flow's trailer."""
    if not (_one(cut(frames, _L2_HEAD4), f.l2 + f.head4)
            and _one(cut(frames, _ADDRS_SPI), f.addrs + f.spi.to_bytes(4, "big"))):
        return False
    if min(map(len, frames)) < 14 + ((f.head4[2] << 8) | f.head4[3]):
        return False
    if f.mid4 is not None:
        if not _one(cut(frames, _MID4), f.mid4):
            return False
    elif not all(_mid_ok(f, mid) for mid in set(cut(frames, _MID4))):
        return False
    if f.id_mode == ID_SEQ and any(map(ne, cut(frames, _ID), cut(frames, _SEQ_LOW16))):
        return False
    if f.id_mode == ID_FIXED and not _one(cut(frames, _ID), f.ident.to_bytes(2, "big")):
        return False
    # RFC 1071: a valid header read as one integer H is a multiple of 0xFFFF (see checks.py);
    # 2**16 = 1 (mod 0xFFFF), so H = bytes 0-3 + bytes 4-11 + bytes 12-19 (mod 0xFFFF), and
    # bytes 0-3 and 12-19 are the flow's (checked above): only bytes 4-11 vary per packet
    fixed = _FROM_BYTES(f.head4) + _FROM_BYTES(f.addrs)
    if not _one(map(mod, map(_FROM_BYTES, cut(frames, _ID_TO_CSUM)), repeat(0xFFFF)), -fixed % 0xFFFF):
        return False
    expected = map(add, map(add, repeat(f.inner_head), cut(sframes, slice(*f.body))), repeat(f.trailer))
    return len(pts) == len(sframes) and not any(map(ne, expected, pts))


def _groups(numbers: list[int]) -> list[tuple[int, list[int] | None]]:
    """(flow number, indices of its frames; None meaning all) for one port's frames."""
    if numbers.count(numbers[0]) == len(numbers):
        return [(numbers[0], None)]
    by: dict[int, list[int]] = {}
    for i, number in enumerate(numbers):
        by.setdefault(number, []).append(i)
    return list(by.items())


def _pick(items: Sequence[Any], idx: list[int] | None) -> Sequence[Any]:
    if idx is None:
        return items
    got = itemgetter(*idx)(items)
    return got if len(idx) > 1 else (got,)


def _in_order(keys: list[tuple[int, int]], port: int, seen: _Seen) -> bool:
    """Each stream's packets arrived in strictly increasing signature order (so none twice),
    all on this port (so never on another one too)."""
    streams = set(map(itemgetter(0), keys))
    if any(seen.ports.get(s, port) != port for s in streams):
        return False
    seen.ports.update(dict.fromkeys(streams, port))
    if all(map(lt, keys, islice(keys, 1, None))):
        return True
    top: dict[int, int] = {}
    for stream, seq in keys:
        if seq <= top.get(stream, -1):
            return False
        top[stream] = seq
    return True


def _scan_port(plan: FusedPlan, port: int, captured: Sequence[tuple[int, bytes]], observer: Observer,
               seen: _Seen) -> bool:
    """One port's capture (time-ordered) through the fused checks; records what it saw."""
    ts = list(map(itemgetter(0), captured))
    frames = list(map(itemgetter(1), captured))
    if not all(map(le, ts, islice(ts, 1, None))) or min(map(len, frames)) < 42:
        return False
    opened = _open_all(frames, observer._fast, _sig_offset(plan.flows))  # noqa: SLF001 - its inline-open table
    if opened is None:
        return False
    pts, keys = opened
    if keys == plan.keys:  # the whole run on this port, in send order: positions match
        numbers, expected_seqs, sframes = plan.numbers, plan.seqs, plan.frames
    else:
        index = plan.index()
        where = list(map(index.get, keys)) if index is not None else [None]
        if None in where:
            return False
        numbers = list(map(plan.numbers.__getitem__, where))
        expected_seqs = list(map(plan.seqs.__getitem__, where))
        sframes = list(map(plan.frames.__getitem__, where))
    seqs = list(map(_FROM_BYTES, cut(frames, _SEQ)))
    if seqs != expected_seqs:  # ESP sequence = the model's (stricter than the invariants)
        return False
    groups = _groups(numbers)
    for number, idx in groups:
        f = plan.flows[number]
        if f.port != port or not _flow_ok(f, _pick(frames, idx), _pick(pts, idx), _pick(sframes, idx)):
            return False
    if not _in_order(keys, port, seen):
        return False
    seen.matched.append(_PortFrames(port, keys, ts, frames))
    _record_sas(plan, groups, frames, seqs, observer, seen)
    return True


def _record_sas(plan: FusedPlan, groups: list[tuple[int, list[int] | None]], frames: list[bytes], seqs: list[int],
                observer: Observer, seen: _Seen) -> None:
    """Per SA, the ESP sequence numbers and IVs in capture order (for the invariants)."""
    spis = {plan.flows[number].spi for number, _ in groups}
    if len(spis) == 1:
        spi = spis.pop()
        order: dict[int, list[int] | None] = {spi: None}
    else:
        order = {}
        spi_of = {number: plan.flows[number].spi for number, _ in groups}
        for i, number in enumerate(_numbers_of(groups, len(frames))):
            order.setdefault(spi_of[number], []).append(i)  # type: ignore[union-attr]
    for spi, idx in order.items():
        iv = slice(42, 42 + observer.transform(spi).iv_len)
        seen.seqs.setdefault(spi, []).extend(_pick(seqs, idx))
        seen.ivs.setdefault(spi, []).extend(cut(_pick(frames, idx), iv))


def _numbers_of(groups: list[tuple[int, list[int] | None]], n: int) -> list[int]:
    """The flow number of each of ``n`` frames, from the groups."""
    out = [0] * n
    for number, idx in groups:
        for i in idx if idx is not None else range(n):
            out[i] = number
    return out


def _scan(plan: FusedPlan, received: Mapping[int, Sequence[tuple[int, bytes]]], observer: Observer) -> _Seen | None:
    """Every received frame through the fused checks, port by port in capture order; None at
    the first port whose frames are not exactly what their flows' packets must be."""
    seen = _Seen([], {}, {}, {})
    for port, captured in sorted(received.items()):
        if captured and not _scan_port(plan, port, captured, observer, seen):
            return None
    return seen


class FusedRun(NamedTuple):
    """What the verdict needs from a fused run that found nothing wrong."""

    correlation: Correlation
    expected_kinds: dict[str, int]
    expected_drops: dict[str, int]
    sa_invariants: dict[int, SaInvariantStats]
    firsts: list[Expectation]  # one expectation per flow: enough for the exercised requirements


def fused_verify(scenario: Scenario, sent: Sequence[Any], received: Mapping[int, Sequence[tuple[int, bytes]]],
                 profile: Profile) -> FusedRun | None:
    """The parts of the verdict of a run that is the common case and exactly right, else None
    (then only the general path can say what is wrong)."""
    observer = Observer([sa for sa in scenario.sas if sa.direction is Direction.OUT])
    plan = plan_sent(scenario, sent, profile, observer)
    if plan is None:
        return None
    seen = _scan(plan, received, observer)
    if seen is None or sum(len(p.keys) for p in seen.matched) != len(plan.keys):
        return None  # keys are distinct (strictly increasing per stream, one port per stream)
    stats: dict[int, SaInvariantStats] = {}
    for spi, got in seen.seqs.items():  # RFC 4303 §3.3.3 (E2, E3); RFC 4106 §3.1 / RFC 3602 (G4, G6)
        first = max(plan.model.sa_out[spi].esn_start, 1)
        if got != list(range(first, first + len(got))) or len(set(seen.ivs[spi])) != len(got):
            return None
        stats[spi] = SaInvariantStats(spi, len(got), got[0], got[-1], 0, 0, 0)
    numbers = Counter(plan.numbers)
    per_sa: Counter[int] = Counter()
    for number, n in numbers.items():
        per_sa[plan.flows[number].spi] += n
    per_stream = {s: FlowStats(n, n) for s, n in sorted(Counter(map(itemgetter(0), plan.keys)).items())}
    corr = Correlation(LazyMatches(seen.matched, observer), (), (), per_stream,
                       {spi: FlowStats(n, n) for spi, n in sorted(per_sa.items())})
    return FusedRun(corr, plan.kinds, plan.drops, stats, plan.firsts)
