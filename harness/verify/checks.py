"""Per-packet checking of a received frame against its expectation, with a lean fast path.

The fast path answers "is this frame exactly right?" with a handful of byte comparisons: the
Ethernet header, the outer header unpacked once and compared with the expected values, and the
authenticated plaintext compared in one piece with expected inner ‖ padding 1..n ‖ pad length
‖ next header. Only when that fails does the slow path run the codec's full decode and the
field-by-field checks (``checks_outer``, ``checks_esp``, ``checks_inner``) that name what is
wrong. Findings are therefore only ever built for frames that are wrong.
"""
from __future__ import annotations

import struct

from harness.codec.esp_encode import DEFAULT_PAD
from harness.verify.checks_esp import check_esp
from harness.verify.checks_inner import compare_l3
from harness.verify.checks_outer import check_l2, check_outer
from harness.verify.correlate import Received
from harness.verify.expectations import Decrypt, Encrypt, Expectation, ForwardClear
from harness.verify.findings import Finding, PacketRef, make_finding
from harness.verify.observe import Observer
from harness.verify.profiles import Profile

_V4 = struct.Struct("!BBHHHBBHII")  # addresses as integers: compared with int(address)
_V6 = struct.Struct("!IHBB16s16s")


def ref_of(rx: Received) -> PacketRef:
    stream, seq = rx.key if rx.key is not None else (None, None)
    return PacketRef(rx.port, rx.index, stream, seq)


def _outer_v6_ok(o, l3: bytes) -> bool:
    if len(l3) < 40:
        return False
    word, plen, nh, hlim, src, dst = _V6.unpack_from(l3)
    if (word >> 20) & 0xFF != o.tos or plen != len(l3) - 40 or nh != o.proto:
        return False
    if o.flow_label is not None and word & 0xFFFFF != o.flow_label:
        return False
    if hlim != o.ttl if o.ttl is not None else hlim == 0:
        return False
    return src == o.src.packed and dst == o.dst.packed


class PacketChecker:
    """Checks matched frames for one run; ``observer`` supplies full decodes on demand."""

    def __init__(self, profile: Profile, observer: Observer) -> None:
        self.profile = profile
        self.observer = observer
        self._trailers: dict[tuple[int, int, int], bytes] = {}
        self._src_obj: object = None
        self._dst_obj: object = None
        self._src_dst = (-1, -1)

    def check(self, exp: Expectation, rx: Received) -> list[Finding]:
        if type(exp) is Encrypt:
            return [] if self._encrypt_ok(exp, rx) else self._encrypt_findings(exp, rx)
        assert isinstance(exp, (Decrypt, ForwardClear))
        if rx.esp is None and rx.clear_l3 == exp.frame[14:] and rx.frame[:14] == exp.frame[:14]:
            return []
        return self._clear_findings(exp, rx)

    def _trailer(self, spi: int, inner_len: int, next_header: int) -> bytes:
        """Padding 1, 2, … ‖ pad length ‖ next header for an inner packet of ``inner_len``."""
        align = self.observer.transform(spi).pad_align
        pad = -(inner_len + 2) % align
        trailer = self._trailers[(spi, inner_len, next_header)] = DEFAULT_PAD[:pad] + bytes((pad, next_header))
        return trailer

    def _encrypt_ok(self, exp: Encrypt, rx: Received) -> bool:
        """The whole fast check in one frame: Ethernet, outer header, plaintext."""
        esp = rx.esp
        spi = rx.spi
        if esp is None or not esp.icv_ok or spi != exp.spec.spi:
            return False
        o = exp.outer
        if o.src is not self._src_obj or o.dst is not self._dst_obj:
            self._src_obj, self._dst_obj = o.src, o.dst
            self._src_dst = (int(o.src), int(o.dst))
        l3, frame = esp.l3, rx.frame
        if frame[:6] != exp.eth_dst or frame[6:12] != exp.eth_src:
            return False
        if o.version == 4:
            if len(l3) < 20 or frame[12:14] != b"\x08\x00":
                return False
            vihl, tos, total, ident, flags, ttl, proto, _csum, src, dst = _V4.unpack_from(l3)
            if vihl != 0x45 or tos != o.tos or total != len(l3) or proto != o.proto \
                    or (src, dst) != self._src_dst:
                return False
            if (o.ident is not None and ident != o.ident) or (o.df is not None and (flags >> 14) & 1 != o.df):
                return False
            if ttl != o.ttl if o.ttl is not None else ttl == 0:
                return False
            # RFC 1071: the header's 16-bit words sum to 0xFFFF in ones' complement, i.e. the
            # header read as one integer is a multiple of 0xFFFF (2**16 = 1 mod 0xFFFF)
            if int.from_bytes(l3[:20], "big") % 0xFFFF:
                return False
        elif frame[12:14] != b"\x86\xdd" or not _outer_v6_ok(o, l3):
            return False
        inner = exp.inner
        key = (spi, len(inner), exp.next_header)
        trailer = self._trailers.get(key)
        if trailer is None:
            trailer = self._trailer(*key)
        return esp.plaintext == inner + trailer

    def _encrypt_findings(self, exp: Encrypt, rx: Received) -> list[Finding]:
        ref, profile = ref_of(rx), self.profile
        if rx.esp is None:
            return [make_finding("A1", profile.name, ref, "protection", f"ESP on SPI {exp.spec.spi:#x}",
                                 "clear", frame=rx.frame, detail="the policy says protect")]
        out = check_l2(rx.frame, exp.eth_dst, exp.eth_src, profile, ref)
        out += check_outer(exp, rx.frame, profile, ref)
        if rx.spi != exp.spec.spi:
            return out + check_esp(exp, rx.spi, rx.esp, profile, ref, rx.frame)
        decoded = self.observer.full_decode(rx.esp)
        esp = check_esp(exp, rx.spi, decoded, profile, ref, rx.frame)
        out += esp
        if decoded.icv_ok and not esp:
            out += compare_l3(exp.inner, decoded.inner, profile, ref, what="inner", frame=rx.frame)
        return out

    def _clear_findings(self, exp: Decrypt | ForwardClear, rx: Received) -> list[Finding]:
        ref, profile = ref_of(rx), self.profile
        if rx.esp is not None or rx.clear_l3 is None:
            return [make_finding("A1", profile.name, ref, "protection", "clear", f"ESP SPI {rx.spi:#x}",
                                 frame=rx.frame)]
        out = check_l2(rx.frame, exp.frame[0:6], exp.frame[6:12], profile, ref)
        return out + compare_l3(exp.frame[14:], rx.clear_l3, profile, ref, what="ip", frame=rx.frame)
