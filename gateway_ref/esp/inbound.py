"""Inbound ESP (RFC 4303 §3.4): locate ESP, length checks, anti-replay, decryption, trailer
checks, decapsulation.

Order (secgw §3.6 and VPP): length/alignment check (ESP_TRUNCATED) and replay pre-check
(REPLAY) before crypto; after crypto: ICV, replay re-check, padding 1..n (PADDING, RFC 4303
§2.4), next header 59 (DUMMY, §2.6), tunnel next header = the SA's inner protocol
(NEXT_HEADER, library engine only), then the window advances. Tunnel decapsulation applies the
ECN rule of ``proto.ecn`` and trims TFC padding after the inner packet (§2.7); transport mode
writes the next header back into the IP header or last extension header and fixes lengths and
the IPv4 checksum. ESP may follow a UDP/4500 header (RFC 3948) or IPv6 extension headers.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway_ref.cfg.engine import Engine
from gateway_ref.cfg.records import Family
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp import replay
from gateway_ref.esp.op import CryptoOp, synchronous
from gateway_ref.proto import ecn, ipv4, ipv6, udp
from gateway_ref.proto.esp import PAD

if TYPE_CHECKING:
    from gateway_ref.esp.sa import EspSa

_II = struct.Struct(">II").unpack_from
_I = struct.Struct(">I").pack
_new = object.__new__

Prepare = Callable[[bytes], "CryptoOp | DropReason"]
Finish = Callable[[CryptoOp], "tuple[bytes, Family] | DropReason"]
Decrypt = Callable[[bytes], "tuple[bytes, Family] | DropReason"]
# plaintext, seq, outer L3, the op (transport mode only)
Accept = Callable[[bytes, int, bytes, "CryptoOp | None"], "tuple[bytes, Family] | DropReason"]
Burst = Callable[[list[bytes]], "list[tuple[bytes, Family] | DropReason]"]

_NATT_DROPS = {
    udp.NattKind.KEEPALIVE: DropReason.UDP_ENCAP_KEEPALIVE,
    udp.NattKind.NON_ESP: DropReason.UDP_ENCAP_NON_ESP,
    udp.NattKind.RUNT: DropReason.ESP_TRUNCATED,
}


def locate_esp(l3: bytes, v6: bool) -> tuple[int, int, int] | DropReason:
    """(ESP offset, offset of the next-header byte naming ESP/UDP, start of ESP/UDP) in the
    outer packet L3, or why it holds no ESP."""
    n = len(l3)
    if v6:
        if n < ipv6.HEADER_LEN or l3[0] >> 4 != 6:
            return DropReason.MALFORMED_IP
        w = ipv6.walk(l3)
        if w is None:
            return DropReason.MALFORMED_IP
        nh_off, nh, off = w
    else:
        if n < ipv4.MIN_HEADER_LEN or l3[0] >> 4 != 4:
            return DropReason.MALFORMED_IP
        off = ipv4.header_len(l3)
        nh_off, nh = ipv4.OFF_PROTO, l3[ipv4.OFF_PROTO]
        if off < ipv4.MIN_HEADER_LEN or off > n:
            return DropReason.MALFORMED_IP
    if nh == ipv4.PROTO_ESP:
        return off, nh_off, off
    if nh == ipv4.PROTO_UDP:
        if off + udp.HEADER_LEN > n:
            return DropReason.ESP_TRUNCATED
        if udp.NATT_PORT not in udp.ports(l3, off):
            return DropReason.MALFORMED_IP  # plain UDP, not RFC 3948 encapsulation
        kind = udp.natt_kind(l3[off + udp.HEADER_LEN:])
        if kind is not udp.NattKind.ESP:
            return _NATT_DROPS[kind]
        return off + udp.HEADER_LEN, nh_off, off
    return DropReason.MALFORMED_IP


def _deferred(x: bytes, data: bytes, aad: bytes) -> bytes:
    """Stands in for the crypto of an ESN packet that failed the replay pre-check with a
    possibly stale epoch: no work is done until finish knows the current window."""
    raise LookupError("replay pre-check failed; decided at finish")


def _make_prepare(sa: EspSa) -> Prepare:
    p, rt, tr = sa.params, sa.rt, sa.transform
    v6 = p.outer_family is Family.IPV6
    spi = p.spi
    ivl, icvl = p.iv_len, p.icv_len
    overhead = 8 + ivl + icvl
    amask = p.align - 1
    window, esn = p.replay_window, p.esn
    open_, salt = tr.open, tr.salt
    infer, acceptable = replay.infer_esn, replay.acceptable
    truncated, unknown, replayed = DropReason.ESP_TRUNCATED, DropReason.UNKNOWN_SPI, DropReason.REPLAY

    def prepare(l3: bytes) -> CryptoOp | DropReason:
        # fast path: IPv4 without options carrying ESP directly
        if not v6 and len(l3) >= 20 and l3[0] == 0x45 and l3[9] == 50:
            off = pre = 20
            nh_off = 9
        else:
            loc = locate_esp(l3, v6)
            if loc.__class__ is DropReason:
                return rt.drop(loc)  # type: ignore[arg-type]
            off, nh_off, pre = loc  # type: ignore[misc]
        ct_len = len(l3) - off - overhead
        if ct_len < 4 or ct_len & amask:
            return rt.drop(truncated)
        got_spi, seq = _II(l3, off)
        if got_spi != spi:
            return rt.drop(unknown)
        fn = open_
        if esn:
            lo, seq = seq, infer(rt.top, seq, window)
            if not acceptable(rt.top, rt.bitmap, seq, window):
                fn, seq = _deferred, lo  # the epoch may be stale: finish decides (see _make_finish)
        elif window and not acceptable(rt.top, rt.bitmap, seq, window):
            return rt.drop(replayed)
        op = _new(CryptoOp)
        op.sa = sa
        op.fn = fn
        op.aad = l3[off:off + 4] + _I(seq >> 32) + l3[off + 4:off + 8] if esn else l3[off:off + 8]
        op.x = salt + l3[off + 8:off + 8 + ivl]
        op.data = l3[off + 8 + ivl:]
        op.seq = seq
        op.l3 = l3
        op.off = pre
        op.nh_off = nh_off
        return op
    return prepare


def _inner_tunnel(inner: bytes, outer_tos: int, dec_ttl: bool) -> tuple[bytes, Family] | DropReason:
    """Validate the decrypted inner packet, trim TFC padding, apply ECN (and legacy TTL)."""
    n = len(inner)
    ver = inner[0] >> 4 if n else 0
    if ver == 4:
        if n < 20:
            return DropReason.MALFORMED_IP
        tl = (inner[2] << 8) | inner[3]
        fam, tos = Family.IPV4, inner[1]
    elif ver == 6:
        if n < 40:
            return DropReason.MALFORMED_IP
        tl = 40 + ((inner[4] << 8) | inner[5])
        fam, tos = Family.IPV6, ((inner[0] & 15) << 4) | (inner[1] >> 4)
    else:
        return DropReason.MALFORMED_IP
    if tl > n or (ver == 4 and tl < 20):
        return DropReason.MALFORMED_IP
    if tl < n:
        inner = inner[:tl]
    new_tos = ecn.decap_tos(outer_tos, tos)
    if new_tos != tos or dec_ttl:
        b = bytearray(inner)
        if ver == 4:
            if new_tos != tos:
                ipv4.set_tos(b, new_tos)
            if dec_ttl:
                ipv4.decrement_ttl(b)
        else:
            ipv6.set_traffic_class(b, new_tos)
            if dec_ttl:
                ipv6.decrement_hop_limit(b)
        inner = bytes(b)
    return inner, fam


def _transport_rebuild(op: CryptoOp, payload: bytes, nh: int, v6: bool) -> bytes:
    hdr = bytearray(op.l3[:op.off])
    hdr[op.nh_off] = nh
    if v6:
        ipv6.set_payload_len(hdr, len(hdr) - ipv6.HEADER_LEN + len(payload))
    else:
        ipv4.set_total_len(hdr, len(hdr) + len(payload))
        ipv4.set_checksum(hdr, len(hdr))
    return bytes(hdr) + payload


def _make_accept(sa: EspSa) -> Accept:
    """What finish does after a successful crypto: replay re-check, trailer checks,
    decapsulation (transport mode rebuilds the packet from ``op``), window advance, counters."""
    p, rt = sa.params, sa.rt
    library = p.engine is Engine.LIBRARY
    tunnel = p.tunnel
    v6 = p.outer_family is Family.IPV6
    fam = p.inner_family
    inner_nh = ipv4.PROTO_IPIP if fam is Family.IPV4 else ipv4.PROTO_IPV6
    window = p.replay_window
    advance, acceptable = replay.advance, replay.acceptable
    D = DropReason
    fast4 = library and fam is Family.IPV4

    def accept(plain: bytes, seq: int, l3: bytes, op: CryptoOp | None) -> tuple[bytes, Family] | DropReason:
        if window and not acceptable(rt.top, rt.bitmap, seq, window):
            return rt.drop(D.REPLAY)
        n = len(plain)
        padlen = plain[n - 2]
        nh = plain[n - 1]
        end = n - 2 - padlen
        if end < 0 or (padlen and plain[end:n - 2] != PAD[padlen]):
            return rt.drop(D.PADDING)
        if nh == ipv4.PROTO_NONE:
            return rt.drop(D.DUMMY)
        if tunnel:
            if library and nh != inner_nh:
                return rt.drop(D.NEXT_HEADER)
            outer_tos = ((l3[0] & 15) << 4) | (l3[1] >> 4) if v6 else l3[1]
            # fast path, same result as _inner_tunnel: a well-formed inner IPv4 packet whose
            # TOS the ECN rule leaves alone (outer not CE, or inner Not-ECT), library engine
            tl = (plain[2] << 8) | plain[3] if end >= 20 else 0
            if fast4 and plain[0] >> 4 == 4 and 20 <= tl <= end and (outer_tos & 3 != 3 or not plain[1] & 3):
                res = plain[:tl], fam
            else:
                res = _inner_tunnel(plain[:end], outer_tos, not library)
            if res.__class__ is DropReason:
                return rt.drop(res)  # type: ignore[arg-type]
            if library and res[1] is not fam:  # type: ignore[index]
                return rt.drop(D.MALFORMED_IP)
        else:
            res = _transport_rebuild(op, plain[:end], nh, v6), fam  # type: ignore[arg-type]
        if window:
            rt.top, rt.bitmap = advance(rt.top, rt.bitmap, seq, window)  # type: ignore[misc]
        rt.packets += 1
        rt.bytes += end
        return res  # type: ignore[return-value]
    return accept


def _make_finish(sa: EspSa, accept: Accept) -> Finish:
    p, rt = sa.params, sa.rt
    window = p.replay_window
    infer, acceptable = replay.infer_esn, replay.acceptable
    esn = p.esn
    D = DropReason

    open_ = sa.transform.open

    def reinfer_esn(op: CryptoOp) -> DropReason | None:
        """Redo the crypto when the ESN epoch guessed at prepare time is stale.

        Prepare infers the high 32 bits from the window as it was then; packets of the same
        burst (or lookaside ops still in flight) accepted since may have moved the window into
        the next epoch. RFC 4303 A2 infers from the window as it is when the packet is
        processed, so infer again now and, if the guess changed, verify with the new bits. A
        packet whose pre-check failed was not decrypted (``_deferred``): if its epoch did not
        change either, it is a replay.
        """
        seq = infer(rt.top, op.seq & 0xFFFFFFFF, window)
        if op.fn is _deferred:
            if not acceptable(rt.top, rt.bitmap, seq, window):
                return D.REPLAY
        elif seq == op.seq or seq <= 0:
            return None
        op.seq = seq
        op.aad = op.aad[:4] + _I(seq >> 32) + op.aad[8:]
        op.fn = open_
        op.run()
        return None

    def finish(op: CryptoOp) -> tuple[bytes, Family] | DropReason:
        if esn:
            stale = reinfer_esn(op)
            if stale is not None:
                return rt.drop(stale)
        if not op.ok:
            return rt.drop(D.ICV)
        return accept(op.out, op.seq, op.l3, op)  # type: ignore[arg-type]
    return finish


def _two_phase(prepare: Prepare, finish: Finish) -> Burst:
    """A burst as the graph's ``esp-decrypt`` runs it: every prepare and crypto, then every
    finish in arrival order (a duplicate inside the burst passes the pre-check and is caught
    by the re-check after its twin's finish)."""
    reason = DropReason

    def burst(l3s: list[bytes]) -> list[tuple[bytes, Family] | DropReason]:
        ops = []
        keep = ops.append
        for l3 in l3s:
            op = prepare(l3)
            if op.__class__ is not reason:
                op.run()  # type: ignore[union-attr]
            keep(op)
        return [op if op.__class__ is reason else finish(op) for op in ops]  # type: ignore[arg-type]
    return burst


def _fused_tunnel4_burst(sa: EspSa, prepare: Prepare, finish: Finish, accept: Accept) -> Burst:
    """``_two_phase`` with prepare and crypto fused for the common case (IPv4 tunnel, library
    engine, no ESN, IPv4 inner): a packet that is IPv4 without options carrying ESP is checked,
    pre-checked against the window and decrypted in one step, with no CryptoOp, and ``accept``
    takes it after every packet's crypto; any other packet takes prepare, run and finish. The
    same results, drop counters and window as ``_two_phase`` (test_esp_fused.py checks it)."""
    p, rt, tr = sa.params, sa.rt, sa.transform
    spi, ivl = p.spi, p.iv_len
    overhead = 8 + ivl + p.icv_len
    amask = p.align - 1
    window = p.replay_window
    open_, salt = tr.open, tr.salt
    acceptable = replay.acceptable
    reason = DropReason
    truncated, unknown, replayed, icv = DropReason.ESP_TRUNCATED, DropReason.UNKNOWN_SPI, DropReason.REPLAY, DropReason.ICV
    ct_at = 28 + ivl

    def burst(l3s: list[bytes]) -> list[tuple[bytes, Family] | DropReason]:
        items: list[Any] = []
        keep = items.append
        for l3 in l3s:  # pre-checks and crypto
            if len(l3) >= 20 and l3[0] == 0x45 and l3[9] == 50:
                ct_len = len(l3) - 20 - overhead
                if ct_len < 4 or ct_len & amask:
                    keep(rt.drop(truncated))
                    continue
                got_spi, seq = _II(l3, 20)
                if got_spi != spi:
                    keep(rt.drop(unknown))
                elif window and not acceptable(rt.top, rt.bitmap, seq, window):
                    keep(rt.drop(replayed))
                else:
                    try:
                        plain = open_(salt + l3[28:ct_at], l3[ct_at:], l3[20:28])
                    except Exception:  # wrong ICV or input the library refused (as CryptoOp.run)
                        plain = None
                    keep((plain, seq, l3))
            else:
                op = prepare(l3)
                if op.__class__ is not reason:
                    op.run()  # type: ignore[union-attr]
                keep(op)
        out: list[tuple[bytes, Family] | DropReason] = []
        put = out.append
        for item in items:  # in arrival order: re-check, trailer, decapsulation, window
            if item.__class__ is tuple:
                plain, seq, l3 = item
                put(rt.drop(icv) if plain is None else accept(plain, seq, l3, None))
            elif item.__class__ is reason:
                put(item)
            else:
                put(finish(item))
        return out
    return burst


def _fusable(sa: EspSa) -> bool:
    p = sa.params
    return (p.tunnel and p.outer_family is Family.IPV4 and p.engine is Engine.LIBRARY and not p.esn
            and p.inner_family is Family.IPV4)


def build_inbound(sa: EspSa) -> tuple[Prepare, Finish, Decrypt, Burst]:
    """(prepare, finish, decrypt, burst): the two halves around the crypto, the synchronous
    whole, and a burst decrypted as ``_two_phase`` does it (fused where it can be)."""
    prepare = _make_prepare(sa)
    accept = _make_accept(sa)
    finish = _make_finish(sa, accept)
    burst = _fused_tunnel4_burst(sa, prepare, finish, accept) if _fusable(sa) else _two_phase(prepare, finish)
    return prepare, finish, synchronous(prepare, finish), burst
