"""ESP encapsulation (RFC 4303 §3.1, §3.3): tunnel (§3.1.2, outer header per RFC 4301
§5.1.2) and transport (§3.1.1: after the IPv4 header, or after all IPv6 extension headers),
padding 1, 2, 3, … to the algorithm's alignment (§2.4), trailer, ICV, ESN high bits in the
ICV/AAD only (§2.2.1), optional UDP encapsulation (RFC 3948 §2.1, checksum 0).

``EspEncoder.encode`` takes every knob a known-answer or negative test needs (explicit IV,
padding, next header, outer fields, corruption). ``EspEncoder.frame_builder`` returns a
closure for the hot path: cached outer header template, one precompiled ``struct`` call, the
IPv4 checksum updated arithmetically, crypto objects bound as locals.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable

from harness.codec.checksum import ones_sum
from harness.codec.ipv4 import IpProto, with_checksum
from harness.codec.ipv6 import parse_ipv6
from harness.codec.spec import Corruption, EspField, EspMode, EspSaSpec, OuterFields
from harness.codec.transforms import AeadTransform, make_transform

DEFAULT_PAD = bytes(range(1, 256))
_U32 = struct.Struct("!I")
_HDR8 = struct.Struct("!II")
_UDP = struct.Struct("!HHHH")
_V4 = struct.Struct("!BBHHHBBH")
_V6 = struct.Struct("!IHBB")
_DEFAULT_OUTER = OuterFields()

RandomBytes = Callable[[int], bytes]


def inner_tos(inner: bytes) -> int:
    """TOS (IPv4) or traffic class (IPv6) of an IP packet; 0 for anything else."""
    version = inner[0] >> 4
    if version == 4:
        return inner[1]
    if version == 6:
        return ((inner[0] & 0x0F) << 4) | (inner[1] >> 4)
    return 0


def _split_transport(pkt: bytes) -> tuple[bytes, bytes, int, int]:
    """(IP header incl. options/extension headers, upper-layer payload, protocol, offset of
    the byte holding the protocol) for a transport-mode packet."""
    version = pkt[0] >> 4 if pkt else 0
    if version == 4:
        hlen = (pkt[0] & 0x0F) * 4
        return pkt[:hlen], pkt[hlen:], pkt[9], 9
    if version == 6:
        view = parse_ipv6(pkt)
        if view is not None and not view.truncated:
            return pkt[:view.upper_offset], pkt[view.upper_offset:], view.upper_proto, view.nh_field_offset
    raise ValueError(f"transport mode needs an IPv4 or IPv6 packet (got version {version}, {len(pkt)} bytes)")


class EspEncoder:
    """Encrypts packets for one SA. ``rng`` supplies random CBC IVs (inject a seeded one for
    reproducible runs); counter-mode algorithms use the 64-bit sequence number as IV."""

    def __init__(self, spec: EspSaSpec, rng: RandomBytes = os.urandom) -> None:
        self.spec = spec
        self.transform = make_transform(spec.cipher, spec.cipher_key, spec.auth, spec.auth_key,
                                        spec.aead, spec.aead_key)
        self._rng = rng

    def default_iv(self, seq: int) -> bytes:
        """IV used when none is given: seq as 8 bytes BE (counter modes), random (CBC)."""
        t = self.transform
        if not t.iv_len:
            return b""
        if t.counter_iv:
            return seq.to_bytes(8, "big")
        return self._rng(t.iv_len)

    def default_padding(self, payload_len: int) -> bytes:
        """Pad bytes 1, 2, … making payload + 2 a multiple of the alignment (RFC 4303 §2.4)."""
        return DEFAULT_PAD[:(-(payload_len + 2)) % self.transform.pad_align]

    def esp_payload(self, payload: bytes, seq: int, next_header: int, *, iv: bytes | None = None,
                    padding: bytes | None = None, corrupt: Corruption | None = None) -> bytes:
        """ESP header ‖ IV ‖ ciphertext ‖ ICV for ``payload`` (what follows the outer IP/UDP)."""
        if not 0 <= seq < 1 << 64:
            raise ValueError(f"sequence number {seq} is not a 64-bit value")
        t = self.transform
        iv = self.default_iv(seq) if iv is None else iv
        if len(iv) != t.iv_len:
            raise ValueError(f"IV must be {t.iv_len} bytes for {self.spec.algorithm_label}, got {len(iv)}")
        padding = self.default_padding(len(payload)) if padding is None else padding
        pad_len = len(padding) if corrupt is None or corrupt.pad_len_field is None else corrupt.pad_len_field
        plaintext = payload + padding + bytes((pad_len & 0xFF, next_header))
        hdr8 = _HDR8.pack(self.spec.spi, seq & 0xFFFFFFFF)
        seq_hi = _U32.pack(seq >> 32) if self.spec.esn else b""
        esp = hdr8 + iv + t.seal(hdr8, seq_hi, iv, plaintext)
        if corrupt is not None:
            esp = _corrupt(esp, corrupt, t.iv_len, t.icv_len)
        return esp

    def encode(self, inner_l3: bytes, seq: int, *, iv: bytes | None = None, padding: bytes | None = None,
               next_header: int | None = None, outer: OuterFields | None = None,
               corrupt: Corruption | None = None) -> bytes:
        """The outer IP packet carrying ``inner_l3`` (tunnel) or its payload (transport).

        ``seq`` is the full 64-bit sequence number. ValueError for inputs the encoder cannot
        form (wrong IV length, transport mode on a non-IP packet).
        """
        if self.spec.mode is EspMode.TUNNEL:
            nh = next_header if next_header is not None else (
                IpProto.IPV6 if inner_l3[:1] and inner_l3[0] >> 4 == 6 else IpProto.IPV4)
            esp = self.esp_payload(inner_l3, seq, nh, iv=iv, padding=padding, corrupt=corrupt)
            return self._tunnel_outer(self._udp(esp), inner_tos(inner_l3), outer or _DEFAULT_OUTER)
        header, payload, proto, nh_at = _split_transport(inner_l3)
        nh = proto if next_header is None else next_header
        esp = self._udp(self.esp_payload(payload, seq, nh, iv=iv, padding=padding, corrupt=corrupt))
        return _transport_outer(header, esp, nh_at, IpProto.UDP if self.spec.udp_encap else IpProto.ESP)

    def _udp(self, esp: bytes) -> bytes:
        if self.spec.udp_encap is None:
            return esp
        sport, dport = self.spec.udp_encap
        return _UDP.pack(sport, dport, 8 + len(esp), 0) + esp

    def _tunnel_outer(self, body: bytes, tos: int, outer: OuterFields) -> bytes:
        tos = tos if outer.tos is None else outer.tos
        proto = IpProto.UDP if self.spec.udp_encap else IpProto.ESP
        src, dst = self.spec.tunnel_src, self.spec.tunnel_dst
        assert src is not None and dst is not None  # guaranteed by EspSaSpec for tunnels
        if src.version == 4:
            hdr = _V4.pack(0x45, tos, 20 + len(body), outer.ident, 0x4000 if outer.df else 0,
                           outer.ttl, proto, 0) + src.packed + dst.packed
            return with_checksum(hdr) + body
        word = (6 << 28) | (tos << 20) | (outer.flow_label & 0xFFFFF)
        return _V6.pack(word, len(body), proto, outer.ttl) + src.packed + dst.packed + body

    def sized_builder(self, l2_header: bytes, inner_len: int, inner_version: int,
                      inner_tos: int) -> tuple[Callable[[bytes, int], bytes], bytes] | None:
        """For a stream whose inner packets all have one length, IP version and TOS: the
        outer header is then constant, so ``(seal, trailer)`` with ``seal(inner ‖ trailer,
        seq)`` equal to ``frame_builder(l2_header)(inner, seq)``. Only for an AEAD tunnel SA
        without ESN or UDP encapsulation (IV = sequence number); None for any other SA."""
        spec, t = self.spec, self.transform
        if (spec.mode is not EspMode.TUNNEL or spec.udp_encap is not None or spec.esn
                or not isinstance(t, AeadTransform)):
            return None
        assert spec.tunnel_src is not None and spec.tunnel_dst is not None
        pad = (-(inner_len + 2)) % t.pad_align
        trailer = DEFAULT_PAD[:pad] + bytes((pad, IpProto.IPV4 if inner_version == 4 else IpProto.IPV6))
        esp_len = 8 + t.iv_len + inner_len + len(trailer) + t.icv_len
        addrs = spec.tunnel_src.packed + spec.tunnel_dst.packed
        if spec.tunnel_src.version == 4:
            outer = with_checksum(_V4.pack(0x45, inner_tos, 20 + esp_len, 0, 0x4000, 64, IpProto.ESP, 0) + addrs)
        else:
            outer = _V6.pack(0x60000000 | (inner_tos << 20), esp_len, IpProto.ESP, 64) + addrs
        return _sealed_builder(t, spec.spi, l2_header + outer), trailer

    def frame_builder(self, l2_header: bytes = b"") -> Callable[[bytes, int], bytes]:
        """Hot-path closure ``build(inner_l3, seq) -> l2_header ‖ outer packet`` for a tunnel
        SA with default IV, padding and outer fields (equal to ``encode`` + prefix)."""
        spec, t = self.spec, self.transform
        if spec.mode is not EspMode.TUNNEL or spec.udp_encap is not None:
            encode = self.encode
            return lambda inner, seq: l2_header + encode(inner, seq)
        assert spec.tunnel_src is not None and spec.tunnel_dst is not None
        addrs = spec.tunnel_src.packed + spec.tunnel_dst.packed
        align, iv_len, icv_len = t.pad_align, t.iv_len, t.icv_len
        trailers = {v: [DEFAULT_PAD[:(align - r) % align] + bytes(((align - r) % align, nh)) for r in range(align)]
                    for v, nh in ((4, 4), (6, 41))}
        tr4, tr6 = trailers[4], trailers[6]
        spi, esn = spec.spi, spec.esn
        if spec.tunnel_src.version == 4:
            base = ones_sum(_V4.pack(0x45, 0, 0, 0, 0x4000, 64, IpProto.ESP, 0) + addrs)
            pack = struct.Struct(f"!{len(l2_header)}sBBHHHBBH8s").pack
            fixed = 20 + 8 + iv_len + icv_len

            def outer(tos: int, ct_len: int) -> bytes:
                total = fixed + ct_len
                s = base + tos + total
                s = (s & 0xFFFF) + (s >> 16)
                s = (s & 0xFFFF) + (s >> 16)
                return pack(l2_header, 0x45, tos, total, 0, 0x4000, 64, IpProto.ESP, ~s & 0xFFFF, addrs)
        else:
            pack6 = struct.Struct(f"!{len(l2_header)}sIHBB32s").pack
            fixed6 = 8 + iv_len + icv_len

            def outer(tos: int, ct_len: int) -> bytes:
                return pack6(l2_header, 0x60000000 | (tos << 20), fixed6 + ct_len, IpProto.ESP, 64, addrs)

        if isinstance(t, AeadTransform) and not esn:
            if spec.tunnel_src.version == 4:
                return _aead_builder_v4(t, spi, l2_header, addrs, tr4, tr6, align)
            return _aead_builder_v6(t, spi, l2_header, addrs, tr4, tr6, align)
        hdr_pack, default_iv, seal = _HDR8.pack, self.default_iv, t.seal

        def build(inner: bytes, seq: int) -> bytes:
            v4 = inner[0] >> 4 == 4
            tos = inner[1] if v4 else ((inner[0] & 0x0F) << 4) | (inner[1] >> 4)
            hdr = hdr_pack(spi, seq & 0xFFFFFFFF)
            iv = default_iv(seq)
            sealed = seal(hdr, _U32.pack(seq >> 32) if esn else b"", iv,
                          inner + (tr4 if v4 else tr6)[(len(inner) + 2) % align])
            return outer(tos, len(sealed) - icv_len) + hdr + iv + sealed
        return build


def _sealed_builder(t: AeadTransform, spi: int, head: bytes) -> Callable[[bytes, int], bytes]:
    """``seal(plaintext, seq) -> head ‖ SPI ‖ seq ‖ IV ‖ ciphertext ‖ ICV`` where ``head`` is
    the constant L2 + outer IP header and ``plaintext`` already ends with the ESP trailer."""
    encrypt, salt = t.aead.encrypt, t.salt
    head = head + _U32.pack(spi)
    spi_b = _U32.pack(spi)
    pack = struct.Struct("!IQ").pack  # seq low ‖ 8-byte IV (= the 64-bit sequence number)

    def seal(plaintext: bytes, seq: int) -> bytes:
        words = pack(seq & 0xFFFFFFFF, seq)
        return head + words + encrypt(salt + words[4:], plaintext, spi_b + words[:4])
    return seal


def _aead_builder_v4(t: AeadTransform, spi: int, l2: bytes, addrs: bytes, tr4: list[bytes],
                     tr6: list[bytes], align: int) -> Callable[[bytes, int], bytes]:
    """Fastest path: AEAD without ESN in an IPv4 tunnel, IV = sequence number, one
    ``encrypt`` and one ``pack`` call, the header checksum updated arithmetically."""
    encrypt, salt = t.aead.encrypt, t.salt
    pack = struct.Struct(f"!{len(l2)}sBBHHHBBH8sIIQ").pack
    base = ones_sum(_V4.pack(0x45, 0, 0, 0, 0x4000, 64, IpProto.ESP, 0) + addrs)
    fixed = 20 + 8 + t.iv_len
    spi_b = _U32.pack(spi)

    def build(inner: bytes, seq: int) -> bytes:
        lo = seq & 0xFFFFFFFF
        if inner[0] >> 4 == 4:
            tos = inner[1]
            sealed = encrypt(salt + seq.to_bytes(8, "big"), inner + tr4[(len(inner) + 2) % align],
                             spi_b + lo.to_bytes(4, "big"))
        else:
            tos = ((inner[0] & 0x0F) << 4) | (inner[1] >> 4)
            sealed = encrypt(salt + seq.to_bytes(8, "big"), inner + tr6[(len(inner) + 2) % align],
                             spi_b + lo.to_bytes(4, "big"))
        total = fixed + len(sealed)
        s = base + tos + total
        s = (s & 0xFFFF) + (s >> 16)
        s = (s & 0xFFFF) + (s >> 16)
        return pack(l2, 0x45, tos, total, 0, 0x4000, 64, 50, ~s & 0xFFFF, addrs, spi, lo, seq) + sealed
    return build


def _aead_builder_v6(t: AeadTransform, spi: int, l2: bytes, addrs: bytes, tr4: list[bytes],
                     tr6: list[bytes], align: int) -> Callable[[bytes, int], bytes]:
    """As ``_aead_builder_v4`` for an IPv6 tunnel (hop limit 64, flow label 0)."""
    encrypt, salt = t.aead.encrypt, t.salt
    pack = struct.Struct(f"!{len(l2)}sIHBB32sIIQ").pack
    fixed = 8 + t.iv_len
    spi_b = _U32.pack(spi)

    def build(inner: bytes, seq: int) -> bytes:
        lo = seq & 0xFFFFFFFF
        if inner[0] >> 4 == 4:
            tos = inner[1]
            sealed = encrypt(salt + seq.to_bytes(8, "big"), inner + tr4[(len(inner) + 2) % align],
                             spi_b + lo.to_bytes(4, "big"))
        else:
            tos = ((inner[0] & 0x0F) << 4) | (inner[1] >> 4)
            sealed = encrypt(salt + seq.to_bytes(8, "big"), inner + tr6[(len(inner) + 2) % align],
                             spi_b + lo.to_bytes(4, "big"))
        return pack(l2, 0x60000000 | (tos << 20), fixed + len(sealed), 50, 64, addrs, spi, lo, seq) + sealed
    return build


def _corrupt(esp: bytes, c: Corruption, iv_len: int, icv_len: int) -> bytes:
    if c.flip is not None:
        starts = {EspField.SPI: (0, 4), EspField.SEQ: (4, 8), EspField.IV: (8, 8 + iv_len),
                  EspField.CIPHERTEXT: (8 + iv_len, len(esp) - icv_len), EspField.ICV: (len(esp) - icv_len, len(esp))}
        lo, hi = starts[c.flip]
        if not lo <= lo + c.index < hi:
            raise ValueError(f"cannot flip byte {c.index} of {c.flip.value}: it has {hi - lo} bytes")
        pos = lo + c.index
        esp = esp[:pos] + bytes((esp[pos] ^ c.mask,)) + esp[pos + 1:]
    if c.truncate:
        esp = esp[:-c.truncate]
    return esp


def _transport_outer(header: bytes, body: bytes, nh_at: int, proto: int) -> bytes:
    """Rewrite the original IP header (and extension headers) for ``body`` following it."""
    hdr = bytearray(header)
    hdr[nh_at] = proto
    if hdr[0] >> 4 == 4:
        hdr[2:4] = (len(hdr) + len(body)).to_bytes(2, "big")
        return with_checksum(bytes(hdr)) + body
    hdr[4:6] = (len(hdr) - 40 + len(body)).to_bytes(2, "big")
    return bytes(hdr) + body
