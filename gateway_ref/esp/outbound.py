"""Outbound ESP (RFC 4303 §3.3): sequence number, IV, padding, encryption, outer headers.

Tunnel mode builds the outer header from a per-SA template (secgw §3.6): IPv4 version/IHL 0x45,
TOS copied whole from the inner packet, ID = low 16 bits of the sequence (0 in legacy), DF 0,
TTL 64, protocol 50 (17 with UDP encapsulation), checksum from a precomputed partial sum;
IPv6 traffic class copied, flow label 0, hop limit 64, next header 50/17. Transport mode inserts
ESP after the IPv4 header, or after every IPv6 extension header (RFC 4303 §3.1.1), rewriting
the next-header field and the lengths. UDP encapsulation per RFC 3948 §2.1.
"""
from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gateway_ref.cfg.engine import Engine
from gateway_ref.cfg.records import Family
from gateway_ref.crypto.transforms_base import SEQ_IV
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp.op import CryptoOp, synchronous
from gateway_ref.proto import esp as esp_fmt
from gateway_ref.proto import ipv4, ipv6, udp

if TYPE_CHECKING:
    from gateway_ref.esp.sa import EspSa

# ver/ihl+tos, total, id, flags/frag, ttl/proto, checksum, addresses, ESP header
_OUT4 = struct.Struct("!6H8s8s").pack
_OUT6 = struct.Struct("!IHBB32s").pack  # ver/tc/flow, payload length, next hdr, hop limit, addresses
_II = struct.Struct(">II").pack
_III = struct.Struct(">III").pack
_UDP = struct.Struct("!HHHH").pack
_new = object.__new__
_TTL = 64
M32 = 0xFFFFFFFF
M64 = (1 << 64) - 1

# outer IPv4 header (as _OUT4), ESP header and a 64-bit IV in one pack (the fused fast path)
_OUT4_ESP_IV = struct.Struct("!6H8sIIQ").pack

Prepare = Callable[[bytes], "CryptoOp | DropReason"]
Finish = Callable[[CryptoOp], "bytes | DropReason"]
Encrypt = Callable[[bytes], "bytes | DropReason"]


def _dec_ttl(l3: bytes) -> bytes:
    """Legacy engine: inner TTL/hop limit minus one, IPv4 checksum fixed."""
    b = bytearray(l3)
    if b[0] >> 4 == 4:
        ipv4.decrement_ttl(b)
    else:
        ipv6.decrement_hop_limit(b)
    return bytes(b)


def _hdr(aad: bytes) -> bytes:
    """The ESP header (SPI || seq_lo) from the AAD, which holds seq_hi in the middle with ESN."""
    return aad[:4] + aad[8:] if len(aad) == 12 else aad


def _words_sum(data: bytes) -> int:
    return sum(struct.unpack(f"!{len(data) // 2}H", data))


def _make_prepare(sa: EspSa, transport: bool) -> Prepare:
    p, rt, tr = sa.params, sa.rt, sa.transform
    library = p.engine is Engine.LIBRARY
    seq_max = M32 if library and not p.esn else M64
    esn = p.esn
    dec_ttl = not library and not transport
    spi = p.spi
    seal, make_iv, salt = tr.seal, tr.make_iv, tr.salt
    amask = p.align - 1
    inner_nh = ipv4.PROTO_IPIP if p.inner_family is Family.IPV4 else ipv4.PROTO_IPV6
    trailers = esp_fmt.trailers(p.align, inner_nh)
    align = p.align
    v6 = p.outer_family is Family.IPV6
    special = transport or dec_ttl  # the common tunnel case skips the body() call
    exhausted, malformed = DropReason.SEQUENCE_EXHAUSTED, DropReason.MALFORMED_IP

    def body(l3: bytes) -> tuple[bytes, bytes] | None:
        """(packet kept for finish, plaintext to encrypt) for transport / legacy tunnel."""
        if dec_ttl:
            l3 = _dec_ttl(l3)
            return l3, l3 + trailers[len(l3) & amask]
        split = _transport_split(l3, v6)
        if split is None:
            return None
        data = l3[split[0]:]
        return l3, data + esp_fmt.trailer(len(data), align, split[1])

    def prepare(l3: bytes) -> CryptoOp | DropReason:
        seq = rt.seq + 1
        if seq > seq_max:
            return rt.drop(exhausted)
        if special:
            res = body(l3)
            if res is None:
                return rt.drop(malformed)
            l3, data = res
        else:
            data = l3 + trailers[len(l3) & amask]
        rt.seq = seq
        op = _new(CryptoOp)
        op.sa = sa
        op.fn = seal
        op.aad = _III(spi, seq >> 32, seq & M32) if esn else _II(spi, seq & M32)
        op.iv = iv = make_iv(seq)
        op.x = salt + iv
        op.data = data
        op.seq = seq
        op.l3 = l3
        return op
    return prepare


def _transport_split(l3: bytes, v6: bool) -> tuple[int, int] | None:
    """(offset where ESP goes, protocol it protects) for a transport-mode packet."""
    if v6:
        if len(l3) < ipv6.HEADER_LEN:
            return None
        w = ipv6.walk(l3)
        return None if w is None else (w[2], w[1])
    if len(l3) < ipv4.MIN_HEADER_LEN:
        return None
    return ipv4.header_len(l3), l3[ipv4.OFF_PROTO]


def _tunnel4_finish(sa: EspSa) -> Finish:
    p, rt = sa.params, sa.rt
    id_mask = 0xFFFF if p.engine is Engine.LIBRARY else 0  # legacy: ID 0
    proto = ipv4.PROTO_UDP if p.udp_encap else ipv4.PROTO_ESP
    ttlproto = (_TTL << 8) | proto
    addrs = p.src + p.dst
    base = 0x4500 + ttlproto + _words_sum(addrs)
    fixed = 20 + (8 if p.udp_encap else 0) + esp_fmt.HEADER_LEN + p.iv_len
    inner4 = p.inner_family is Family.IPV4
    udp_encap = p.udp_encap
    esn = p.esn
    port = udp.NATT_PORT
    failed = DropReason.UNSUPPORTED_ALGORITHM

    def finish(op: CryptoOp) -> bytes | DropReason:
        ct = op.out
        if ct is None:
            return rt.drop(failed)
        l3 = op.l3
        tos = l3[1] if inner4 else ((l3[0] & 15) << 4) | (l3[1] >> 4)
        tot = fixed + len(ct)
        ident = op.seq & id_mask
        s = base + tos + tot + ident
        s = (s & 0xFFFF) + (s >> 16)
        s += s >> 16
        rt.packets += 1
        rt.bytes += len(l3)
        if udp_encap:
            return (_OUT4(0x4500 | tos, tot, ident, 0, ttlproto, ~s & 0xFFFF, addrs, _UDP(port, port, tot - 20, 0))
                    + _hdr(op.aad) + op.iv + ct)
        hdr = op.aad
        if esn:
            hdr = hdr[:4] + hdr[8:]
        return _OUT4(0x4500 | tos, tot, ident, 0, ttlproto, ~s & 0xFFFF, addrs, hdr) + op.iv + ct
    return finish


def _tunnel6_finish(sa: EspSa) -> Finish:
    p, rt = sa.params, sa.rt
    udp_encap = p.udp_encap
    nh = ipv4.PROTO_UDP if udp_encap else ipv4.PROTO_ESP
    src, dst = p.src, p.dst
    addrs = src + dst
    fixed = (8 if udp_encap else 0) + esp_fmt.HEADER_LEN + p.iv_len
    inner4 = p.inner_family is Family.IPV4
    port = udp.NATT_PORT
    failed = DropReason.UNSUPPORTED_ALGORITHM

    def finish(op: CryptoOp) -> bytes | DropReason:
        ct = op.out
        if ct is None:
            return rt.drop(failed)
        l3 = op.l3
        tc = l3[1] if inner4 else ((l3[0] & 15) << 4) | (l3[1] >> 4)
        plen = fixed + len(ct)
        rt.packets += 1
        rt.bytes += len(l3)
        esp = _hdr(op.aad) + op.iv + ct
        if udp_encap:
            csum = udp.checksum6(src, dst, _UDP(port, port, plen, 0) + esp)
            esp = _UDP(port, port, plen, csum) + esp
        return _OUT6(0x60000000 | (tc << 20), plen, nh, _TTL, addrs) + esp
    return finish


def _transport_finish(sa: EspSa) -> Finish:
    p, rt = sa.params, sa.rt
    v6 = p.outer_family is Family.IPV6
    udp_encap = p.udp_encap
    new_nh = ipv4.PROTO_UDP if udp_encap else ipv4.PROTO_ESP
    port = udp.NATT_PORT
    failed = DropReason.UNSUPPORTED_ALGORITHM

    def finish(op: CryptoOp) -> bytes | DropReason:
        ct = op.out
        if ct is None:
            return rt.drop(failed)
        l3 = op.l3
        esp = _hdr(op.aad) + op.iv + ct
        if v6:
            nh_off, _, off = ipv6.walk(l3)  # type: ignore[misc]  # prepare checked it
            hdr = bytearray(l3[:off])
            hdr[nh_off] = new_nh
            plen = off - ipv6.HEADER_LEN + len(esp) + (8 if udp_encap else 0)
            ipv6.set_payload_len(hdr, plen)
            if udp_encap:
                n = len(esp) + 8
                src, dst = l3[8:24], l3[24:40]
                esp = _UDP(port, port, n, udp.checksum6(src, dst, _UDP(port, port, n, 0) + esp)) + esp
        else:
            off = ipv4.header_len(l3)
            hdr = bytearray(l3[:off])
            hdr[ipv4.OFF_PROTO] = new_nh
            if udp_encap:
                esp = _UDP(port, port, len(esp) + 8, 0) + esp
            ipv4.set_total_len(hdr, off + len(esp))
            ipv4.set_checksum(hdr, off)
        rt.packets += 1
        rt.bytes += len(l3)
        return bytes(hdr) + esp
    return finish


def _fused_tunnel4(sa: EspSa) -> Encrypt:
    """prepare + seal + finish in one frame, no CryptoOp, for the common case: IPv4 tunnel,
    library engine, no UDP encapsulation, a transform whose IV is the 64-bit sequence number
    (the AEADs: RFC 4106 §3.1, RFC 7634 §2, RFC 4543 §3.1). The same bytes as the three steps
    (test_esp_fused.py checks it, and every placement's output is compared with cpu-crypto's):
    the nonce is packed as salt || seq, the outer header, ESP header and IV come from one pack
    with the checksum from the per-SA partial sum."""
    p, rt, tr = sa.params, sa.rt, sa.transform
    seq_max = M64 if p.esn else M32
    esn, spi = p.esn, p.spi
    seal, salt = tr.seal, tr.salt
    nonce = struct.Struct(f"!{len(salt)}sQ").pack
    amask = p.align - 1
    inner4 = p.inner_family is Family.IPV4
    trailers = esp_fmt.trailers(p.align, ipv4.PROTO_IPIP if inner4 else ipv4.PROTO_IPV6)
    ttlproto = (_TTL << 8) | ipv4.PROTO_ESP
    addrs = p.src + p.dst
    base = 0x4500 + ttlproto + _words_sum(addrs)
    fixed = 20 + esp_fmt.HEADER_LEN + p.iv_len
    exhausted, failed = DropReason.SEQUENCE_EXHAUSTED, DropReason.UNSUPPORTED_ALGORITHM

    def encrypt(l3: bytes) -> bytes | DropReason:
        seq = rt.seq + 1
        if seq > seq_max:
            return rt.drop(exhausted)
        rt.seq = seq
        lo = seq & M32
        n = len(l3)
        try:
            ct = seal(nonce(salt, seq), l3 + trailers[n & amask], _III(spi, seq >> 32, lo) if esn else _II(spi, lo))
        except Exception:  # input the library refused (as CryptoOp.run): never raise
            return rt.drop(failed)
        tos = l3[1] if inner4 else ((l3[0] & 15) << 4) | (l3[1] >> 4)
        tot = fixed + len(ct)
        ident = seq & 0xFFFF
        s = base + tos + tot + ident
        s = (s & 0xFFFF) + (s >> 16)
        s += s >> 16
        rt.packets += 1
        rt.bytes += n
        return _OUT4_ESP_IV(0x4500 | tos, tot, ident, 0, ttlproto, ~s & 0xFFFF, addrs, spi, lo, seq) + ct
    return encrypt


def _fusable(sa: EspSa) -> bool:
    p, tr = sa.params, sa.transform
    return (p.tunnel and p.outer_family is Family.IPV4 and p.engine is Engine.LIBRARY and not p.udp_encap
            and tr.make_iv is SEQ_IV and p.iv_len == 8)


def build_outbound(sa: EspSa) -> tuple[Prepare, Finish, Encrypt]:
    """(prepare, finish, encrypt): the two halves around the crypto, and the synchronous whole."""
    p = sa.params
    if not p.tunnel:
        prepare, finish = _make_prepare(sa, True), _transport_finish(sa)
    elif p.outer_family is Family.IPV4:
        prepare, finish = _make_prepare(sa, False), _tunnel4_finish(sa)
    else:
        prepare, finish = _make_prepare(sa, False), _tunnel6_finish(sa)
    return prepare, finish, (_fused_tunnel4(sa) if _fusable(sa) else synchronous(prepare, finish))


def prepare_with(sa: EspSa, l3: bytes, seq: int | None, iv: bytes | None) -> Any:
    """encrypt_prepare with an explicit sequence number and/or IV (known-answer tests only)."""
    if seq is not None:
        sa.rt.seq = seq - 1
    op = sa.enc_prepare(l3)
    if iv is not None and isinstance(op, CryptoOp):
        if len(iv) != sa.params.iv_len:
            raise ValueError(f"IV must be {sa.params.iv_len} bytes, got {len(iv)}")
        op.iv = iv
        op.x = sa.transform.salt + iv
    return op
