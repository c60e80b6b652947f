"""ESP decapsulation and checking (RFC 4303 §3.4): locate ESP behind the outer IPv4/IPv6
header (walking IPv6 extension headers, optional RFC 3948 UDP encapsulation), verify the ICV
(ESN high bits supplied by the caller, §2.2.1 / Appendix A), decrypt, and check the trailer
(§2.4 padding contents and length, §2.6 next header) — reporting every problem by name and
never raising on a bad packet.
"""

from __future__ import annotations

import enum
import struct
from typing import NamedTuple

from harness.codec.esp_encode import DEFAULT_PAD
from harness.codec.ipv4 import IpProto, with_checksum
from harness.codec.ipv6 import parse_ipv6
from harness.codec.spec import EspMode, EspSaSpec
from harness.codec.transforms import make_transform

_HDR8 = struct.Struct("!II")
_U32 = struct.Struct("!I")
_new = tuple.__new__  # builds EspDecoded without the generated __new__ frame


class EspProblem(str, enum.Enum):
    """What can be wrong with a received ESP packet."""

    NOT_IP = "not-ip"              # outer is neither IPv4 nor IPv6
    NOT_ESP = "not-esp"            # outer protocol chain does not reach ESP (or UDP-encap ESP)
    IP_LENGTH = "ip-length"        # outer IP length larger than the bytes present
    TRUNCATED = "truncated"        # shorter than ESP header + IV + ICV + 2-byte trailer
    SPI = "spi"                    # SPI differs from the SA's
    ALIGNMENT = "alignment"        # ciphertext not a multiple of 4 / the cipher block
    ICV = "icv"                    # integrity check failed
    PAD_LENGTH = "pad-length"      # Pad Length larger than the decrypted payload allows
    PAD_BYTES = "pad-bytes"        # padding not 1, 2, 3, … (RFC 4303 §2.4 default)
    NEXT_HEADER = "next-header"    # tunnel: not 4/41/59 or disagrees with the inner version
    INNER_LENGTH = "inner-length"  # tunnel: inner IP length larger than the decrypted data


class EspDecoded(NamedTuple):
    """Decoded view of one ESP packet (a NamedTuple: built per packet on the hot path, where
    a frozen dataclass costs several times more).

    Offsets are into the outer L3 packet. ``plaintext`` is payload ‖ padding ‖ pad length ‖
    next header (unauthenticated keystream output when ``icv_ok`` is False). ``inner`` is the
    inner packet (tunnel) or the rebuilt original packet (transport). ``problems`` is empty for
    a packet that passes every check.
    """

    spi: int
    seq: int
    iv: bytes
    icv: bytes
    icv_ok: bool
    plaintext: bytes
    padding: bytes
    pad_len: int
    next_header: int
    inner: bytes
    esp_offset: int
    ciphertext_offset: int
    problems: tuple[EspProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


_ICV, _PAD_BYTES = EspProblem.ICV, EspProblem.PAD_BYTES


def _failed(problem: EspProblem, esp_offset: int = -1, spi: int = -1, seq: int = -1) -> EspDecoded:
    return EspDecoded(spi, seq, b"", b"", False, b"", b"", -1, -1, b"", esp_offset, -1, (problem,))


class EspDecoder:
    """Decodes and checks ESP packets of one SA."""

    def __init__(self, spec: EspSaSpec) -> None:
        self.spec = spec
        self.transform = make_transform(spec.cipher, spec.cipher_key, spec.auth, spec.auth_key,
                                        spec.aead, spec.aead_key)
        t = self.transform
        self._min_len = 8 + t.iv_len + t.icv_len + 2
        self._align = max(t.block_len, 4)
        self._tunnel = spec.mode is EspMode.TUNNEL
        self._spi, self._esn, self._open = spec.spi, spec.esn, t.open
        self._hdr_iv, self._icv_len = 8 + t.iv_len, t.icv_len

    def locate(self, pkt: bytes) -> tuple[int, int, int, EspProblem | None]:
        """(ESP offset, end of the IP packet, offset of the protocol byte, problem)."""
        n = len(pkt)
        if not n:
            return -1, 0, -1, EspProblem.NOT_IP
        version = pkt[0] >> 4
        if version == 4 and n >= 20:
            end, off, proto, nh_at = (pkt[2] << 8) | pkt[3], (pkt[0] & 0x0F) * 4, pkt[9], 9
        elif version == 6 and n >= 40:
            view = parse_ipv6(pkt)
            if view is None or view.truncated:
                return -1, n, -1, EspProblem.TRUNCATED
            end, off, proto, nh_at = 40 + view.payload_length, view.upper_offset, view.upper_proto, view.nh_field_offset
        else:
            return -1, n, -1, EspProblem.NOT_IP
        if end > n:
            return -1, n, nh_at, EspProblem.IP_LENGTH
        if self.spec.udp_encap is not None and proto == IpProto.UDP:
            return off + 8, end, nh_at, None
        if proto != IpProto.ESP:
            return -1, end, nh_at, EspProblem.NOT_ESP
        return off, end, nh_at, None

    def decode(self, outer_l3: bytes, *, seq_high: int = 0) -> EspDecoded:
        """Decode and check ``outer_l3``; ``seq_high`` is the ESN high half (ignored unless the
        SA uses ESN). Never raises on packet content."""
        pkt, n = outer_l3, len(outer_l3)
        if n >= 20 and pkt[0] == 0x45 and pkt[9] == 50:  # fast path: plain IPv4, no options
            off, end, nh_at = 20, (pkt[2] << 8) | pkt[3], 9
            if end > n:
                return _failed(EspProblem.IP_LENGTH)
        elif n >= 40 and pkt[6] == 50 and pkt[0] >> 4 == 6:  # IPv6 without extension headers
            off, end, nh_at = 40, 40 + ((pkt[4] << 8) | pkt[5]), 6
            if end > n:
                return _failed(EspProblem.IP_LENGTH)
        else:
            off, end, nh_at, problem = self.locate(pkt)
            if problem is not None:
                return _failed(problem)
        if end - off < self._min_len:
            return _failed(EspProblem.TRUNCATED, off)
        spi, seq = _HDR8.unpack_from(pkt, off)
        problems: list[EspProblem] = [] if spi == self._spi else [EspProblem.SPI]
        ct_off = off + self._hdr_iv
        icv_off = end - self._icv_len
        ct = pkt[ct_off:icv_off]
        if len(ct) % self._align:
            problems.append(EspProblem.ALIGNMENT)
        iv, icv = pkt[off + 8:ct_off], pkt[icv_off:end]
        icv_ok, pt = self._open(pkt[off:off + 8], _U32.pack(seq_high) if self._esn else b"", iv, ct, icv)
        if not icv_ok:
            problems.append(_ICV)
        if len(pt) < 2:
            problems.append(EspProblem.TRUNCATED)
            return EspDecoded(spi, seq, iv, icv, icv_ok, pt, b"", -1, -1, b"", off, ct_off, tuple(problems))
        pad_len, nh = pt[-2], pt[-1]
        body_len = len(pt) - 2 - pad_len
        if body_len < 0:
            problems.append(EspProblem.PAD_LENGTH)
            return EspDecoded(spi, seq, iv, icv, icv_ok, pt, b"", pad_len, nh, b"", off, ct_off, tuple(problems))
        padding = pt[body_len:-2]
        if padding != DEFAULT_PAD[:pad_len]:
            problems.append(_PAD_BYTES)
        body = pt[:body_len]
        if self._tunnel:
            inner = body
            _check_tunnel_inner(body, nh, problems)
        else:
            udp = 8 if self.spec.udp_encap and pkt[nh_at] == IpProto.UDP else 0
            inner = _rebuild_transport(pkt[:off - udp], body, nh, nh_at)
        return _new(EspDecoded, (spi, seq, iv, icv, icv_ok, pt, padding, pad_len, nh, inner, off, ct_off, tuple(problems)))


def _check_tunnel_inner(body: bytes, nh: int, problems: list[EspProblem]) -> None:
    """Next header must be 4 (IPv4), 41 (IPv6) or 59 (dummy, RFC 4303 §2.6) and match the
    inner version; the inner IP length must fit (shorter is TFC padding, §2.7). Plain ints
    here: enum attribute access costs more than the rest of the check."""
    if nh == 59:
        return
    version = body[0] >> 4 if body else 0
    if version == 4 and nh == 4:
        declared = (body[2] << 8 | body[3]) if len(body) >= 4 else 1 << 17
    elif version == 6 and nh == 41:
        declared = 40 + (body[4] << 8 | body[5]) if len(body) >= 6 else 1 << 17
    else:
        problems.append(EspProblem.NEXT_HEADER)
        return
    if declared > len(body):
        problems.append(EspProblem.INNER_LENGTH)


def _rebuild_transport(header: bytes, body: bytes, nh: int, nh_at: int) -> bytes:
    """Original packet of a transport-mode SA: ESP removed, protocol/lengths/checksum fixed."""
    hdr = bytearray(header)
    if nh_at < 0 or nh_at >= len(hdr):
        return body
    hdr[nh_at] = nh
    if hdr[0] >> 4 == 4:
        hdr[2:4] = (len(hdr) + len(body)).to_bytes(2, "big")
        return with_checksum(bytes(hdr)) + body
    hdr[4:6] = (len(hdr) - 40 + len(body)).to_bytes(2, "big")
    return bytes(hdr) + body
