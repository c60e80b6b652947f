"""The sent side of the fused pass (``fused``): the model run once per flow, and per sent
packet only its key, its flow and the sequence number its SA gives it.

Flows are those of ``expect._flow_key`` (port, frame length, every header byte the model reads),
so one ``expect_one`` on a flow's first packet decides for all of them (RFC 4301 §5.1 outbound
processing as ``expect`` models it). A flow qualifies when it is encrypted on a non-ESN tunnel
SA the observer opens inline, with an IPv4 outer header (``EncryptFlow`` holds what its frames
share), or dropped. Runs of the stream builder's ``SentPacket`` records with few flows and one
SA are planned with C loops over whole lists; others packet by packet.
"""
from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import compress, repeat
from operator import getitem, itemgetter, le
from typing import Any, NamedTuple

from harness.codec.esp_encode import DEFAULT_PAD
from harness.scenario.scenario import Scenario
from harness.stream.builder import SentPacket
from harness.verify.expect import GatewayModel, expect_one
from harness.verify.expectations import Drop, DropReason, Encrypt, Expectation
from harness.verify.observe import Observer
from harness.verify.profiles import OuterIdRule, Profile
from harness.verify.sent import SentView, sent_view

ESP = 50
_MAX_SEQ32 = 0xFFFFFFFF
ID_SEQ, ID_FIXED, ID_ANY = range(3)
_V4_KEY = slice(0, 38)  # Ethernet and the IPv4 header + 4 L4 bytes: expect._flow_key


def cut(items: Sequence[bytes], part: slice) -> Iterator[bytes]:
    """``item[part]`` for every item, looped in C."""
    return map(getitem, items, repeat(part))


class EncryptFlow(NamedTuple):
    """The constant parts of every frame a correct DUT emits for one flow (IPv4 outer)."""

    spi: int
    port: int
    l2: bytes  # expected Ethernet header incl. EtherType 0x0800
    head4: bytes  # outer bytes 0-3: version/IHL, TOS, total length
    id_mode: int  # ID_SEQ: low 16 bits of the expected sequence; ID_FIXED: ``ident``; ID_ANY
    ident: int
    mid4: bytes | None  # outer bytes 6-9 (flags/offset, TTL, protocol) when all prescribed
    ttl: int | None  # None: any non-zero TTL (then DF may be 0 or 1)
    df: int | None
    addrs: bytes  # outer source ‖ destination
    inner_head: bytes  # the expected inner IP header (TTL edited per profile)
    body: tuple[int, int]  # frame slice carried unchanged after the inner header
    trailer: bytes  # padding ‖ pad length ‖ next header


class FusedPlan:
    """The packets that must come out, in send order, as parallel lists: signature key, flow
    number (into ``flows``), the sequence number the model gives it, the sent frame. The
    key -> position index is built only when a capture is not in send order."""

    def __init__(self, model: GatewayModel, flows: list[EncryptFlow], keys: list[tuple[int, int]],
                 numbers: list[int], seqs: list[int], frames: list[bytes], firsts: list[Expectation],
                 kinds: dict[str, int], drops: dict[str, int]) -> None:
        self.model, self.flows, self.firsts, self.kinds, self.drops = model, flows, firsts, kinds, drops
        self.keys, self.numbers, self.seqs, self.frames = keys, numbers, seqs, frames
        self._index: dict[tuple[int, int], int] | None = None

    def index(self) -> dict[tuple[int, int], int] | None:
        """Key -> position; None when a key was sent twice (the general path sorts that out)."""
        if self._index is None:
            self._index = dict(zip(self.keys, range(len(self.keys))))
        return self._index if len(self._index) == len(self.keys) else None


_NO_EXT = frozenset((1, 6, 17, 58, 132, 253, 254))  # as expect._flow_key: no IPv6 extension headers


def _encrypt_flow(model: GatewayModel, e: Encrypt, frame: bytes, observer: Observer) -> EncryptFlow | None:
    """The constant parts of ``e``'s flow, or None when the fused pass does not handle it."""
    sa = model.sa_out[e.spec.spi]
    fast = observer._fast.get(sa.spi)  # noqa: SLF001 - the observer's own inline-open table
    o = e.outer
    if fast is None or not sa.is_tunnel or model.esn(sa) or o.version != 4 or o.proto != ESP:
        return None
    iv_len, icv_len = fast[0], fast[1]
    v4 = frame[14] >> 4 == 4
    end = 14 + ((frame[16] << 8 | frame[17]) if v4 else 40 + (frame[18] << 8 | frame[19]))
    hl, inner_len = 20 if v4 else 40, end - 14
    if len(e.inner) != inner_len or e.inner[hl:] != frame[14 + hl:end]:
        return None
    pad = -(inner_len + 2) % observer.transform(sa.spi).pad_align
    total = 20 + 8 + iv_len + inner_len + pad + 2 + icv_len
    id_mode = ID_ANY if o.ident is None else ID_SEQ if model.profile.outer_id is OuterIdRule.SEQ_LOW16 \
        else ID_FIXED
    mid4 = None if o.ttl is None or o.df is None else struct.pack("!HBB", o.df << 14, o.ttl, ESP)
    return EncryptFlow(sa.spi, e.port, e.eth_dst + e.eth_src + b"\x08\x00", struct.pack("!BBH", 0x45, o.tos, total),
                       id_mode, o.ident or 0, mid4, o.ttl, o.df, o.src.packed + o.dst.packed, e.inner[:hl],
                       (14 + hl, end), DEFAULT_PAD[:pad] + bytes((pad, e.next_header)))


def plan_sent(scenario: Scenario, sent: Sequence[Any], profile: Profile, observer: Observer) -> FusedPlan | None:
    """The model over ``sent`` with one ``expect_one`` per flow (flows as ``expect._flow_key``);
    None unless every packet is in a flow that is encrypted (fused-eligible) or dropped."""
    if sent and set(map(type, sent)) == {SentPacket}:
        planned = _plan_lists(GatewayModel(scenario, profile), sent, observer)
        if planned is not _PER_PACKET:
            return planned  # type: ignore[return-value]
    return _plan_loop(GatewayModel(scenario, profile), sent, observer)


_PER_PACKET = object()  # _plan_lists: this run needs the packet-by-packet plan
_MAX_LIST_FLOWS = 16


def _plan_lists(model: GatewayModel, sent: Sequence[SentPacket], observer: Observer) -> FusedPlan | object | None:
    """``plan_sent`` in C loops over whole lists for IPv4 flows (at most a few) on one SA:
    flows found by key, numbers given in send order over the delivering packets."""
    frames = list(map(itemgetter(3), sent))
    ports, lengths = set(map(itemgetter(2), sent)), set(map(len, frames))
    if len(ports) == 1 and len(lengths) == 1:  # the header bytes alone tell the flows apart
        fkeys: list[Any] = list(cut(frames, _V4_KEY))
    else:
        fkeys = list(zip(map(itemgetter(2), sent), map(len, frames), cut(frames, _V4_KEY)))
    first = dict(zip(reversed(fkeys), range(len(fkeys) - 1, -1, -1)))  # flow key -> its first packet
    if len(first) > _MAX_LIST_FLOWS:
        return _PER_PACKET
    flows: list[EncryptFlow] = []
    firsts: list[Expectation] = []
    kinds: dict[str, int] = {}
    number_of: dict[tuple[int, int, bytes], int] = {}
    drop_flows: list[Drop] = []
    start = dict(model.out_seq)
    for fkey, i in sorted(first.items(), key=itemgetter(1)):
        frame = frames[i]
        if not (len(frame) >= 38 and frame[14] == 0x45 and frame[23] != ESP and frame[12:14] == b"\x08\x00"):
            return _PER_PACKET  # IPv6 flows are keyed on 58 bytes
        model.out_seq.update(start)  # a first packet's outcome does not depend on its number
        e = expect_one(model, SentView(i, (sent[i][0], sent[i][1]), sent[i][2], frame))
        firsts.append(e)
        kinds.setdefault(type(e).__name__, 0)
        if type(e) is Drop and e.reason is not DropReason.SEQUENCE_EXHAUSTED:
            number_of[fkey] = -1 - len(drop_flows)
            drop_flows.append(e)
            continue
        flow = _encrypt_flow(model, e, frame, observer) if type(e) is Encrypt else None
        if flow is None:
            return None
        number_of[fkey] = len(flows)
        flows.append(flow)
    if len({f.spi for f in flows}) > 1:
        return _PER_PACKET
    numbers = [0] * len(fkeys) if len(number_of) == 1 and flows else list(map(number_of.__getitem__, fkeys))
    delivering = list(map(le, repeat(0), numbers))
    keys = list(zip(compress(map(itemgetter(0), sent), delivering), compress(map(itemgetter(1), sent), delivering)))
    first_seq = start[flows[0].spi] if flows else 1
    if first_seq + len(keys) - 1 > _MAX_SEQ32:
        return None  # a sequence number past 2^32-1
    per_flow = Counter(numbers)
    drops: dict[str, int] = {}
    for k, e in enumerate(drop_flows):
        drops[e.reason.value] = drops.get(e.reason.value, 0) + per_flow[-1 - k]
    if "Encrypt" in kinds:
        kinds["Encrypt"] = len(keys)
    if "Drop" in kinds:
        kinds["Drop"] = len(sent) - len(keys)
    return FusedPlan(model, flows, keys, list(compress(numbers, delivering)),
                     list(range(first_seq, first_seq + len(keys))), list(compress(frames, delivering)), firsts,
                     kinds, drops)


def _plan_loop(model: GatewayModel, sent: Sequence[Any], observer: Observer) -> FusedPlan | None:
    """``plan_sent`` packet by packet (any sent records, IPv6 flows, several SAs)."""
    by_key: dict[tuple[int, int, bytes], tuple[int, list[int]] | Drop] = {}
    flows: list[EncryptFlow] = []
    counters: dict[int, list[int]] = {}  # spi -> [next sequence number], shared by its flows
    keys: list[tuple[int, int]] = []
    numbers: list[int] = []
    seqs: list[int] = []
    frames: list[bytes] = []
    firsts: list[Expectation] = []
    kinds: dict[str, int] = {}
    drops: dict[str, int] = {}
    for i, s in enumerate(sent):
        if type(s) is SentPacket:
            stream, sseq, port, frame = s[0], s[1], s[2], s[3]
        else:
            view = sent_view(i, s)
            if view.key is None:
                return None
            (stream, sseq), port, frame = view.key, view.port, view.frame
        n = len(frame)
        if n >= 38 and frame[14] == 0x45 and frame[23] != ESP and frame[12:14] == b"\x08\x00":
            fkey = (port, n, frame[:38])
        elif n >= 58 and frame[14] >> 4 == 6 and frame[20] in _NO_EXT and frame[12:14] == b"\x86\xdd":
            fkey = (port, n, frame[:58])
        else:
            return None
        flow = by_key.get(fkey)
        if flow is None:
            flow = _new_flow(model, SentView(i, (stream, sseq), port, frame), observer, flows, counters, firsts)
            if flow is None:
                return None
            by_key[fkey] = flow
            kinds.setdefault(type(firsts[-1]).__name__, 0)
        if type(flow) is Drop:
            drops[flow.reason.value] = drops.get(flow.reason.value, 0) + 1
            continue
        number, counter = flow
        seq = counter[0]
        counter[0] = seq + 1
        keys.append((stream, sseq))
        numbers.append(number)
        seqs.append(seq)
        frames.append(frame)
    if any(c[0] - 1 > _MAX_SEQ32 for c in counters.values()):
        return None  # a sequence number past 2^32-1
    if "Encrypt" in kinds:
        kinds["Encrypt"] = len(keys)
    if "Drop" in kinds:
        kinds["Drop"] = sum(drops.values())
    return FusedPlan(model, flows, keys, numbers, seqs, frames, firsts, kinds, drops)


def _new_flow(model: GatewayModel, view: SentView, observer: Observer, flows: list[EncryptFlow],
              counters: dict[int, list[int]], firsts: list[Expectation]) -> tuple[int, list[int]] | Drop | None:
    """The full model on a flow's first packet: a drop, or (flow number, its SA's counter)."""
    for spi, counter in counters.items():
        model.out_seq[spi] = counter[0]
    first = expect_one(model, view)
    firsts.append(first)
    if type(first) is Drop:
        return None if first.reason is DropReason.SEQUENCE_EXHAUSTED else first
    if type(first) is not Encrypt:
        return None
    flow = _encrypt_flow(model, first, view.frame, observer)
    if flow is None:
        return None
    flows.append(flow)
    counter = counters.setdefault(flow.spi, [first.seq])
    counter[0] = first.seq  # the first packet takes it again in the caller, like every other
    return len(flows) - 1, counter


