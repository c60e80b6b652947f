"""Reduce received frames to ``Received`` records: parse, open ESP on known SAs, find the
signature.

Frames leaving the DUT as ESP are decrypted with the scenario's outbound SAs (the SAs the DUT
encrypts with). ESN high bits are inferred per SA from the highest sequence seen so far
(RFC 4303 Appendix A2 with a half-space window), so a run that crosses 2^32 still decodes.
``Observer.observe_all`` handles the common egress frame (IPv4, ESP on a known non-ESN SA, ICV
good) inline in one loop and sends everything else through ``observe``; both give the same
``Received`` records. The signature key is (stream id, u32 seq) of signature.py's version 2.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from harness.codec.esp_decode import EspDecoded, EspDecoder
from harness.codec.transforms import AeadTransform
from harness.scenario.model import SecurityAssociation
from harness.stream.signature import MAGIC, SIGNATURE_LEN, VERSION, find_signature
from harness.verify.correlate import Received
from harness.verify.replay import infer_esn

_ESP = 50
_HDR8 = struct.Struct("!II")
_HALF = 1 << 31
_EXT = frozenset((0, 43, 44, 60, 51))


def esp_offset(l3: bytes) -> int | None:
    """Offset of the ESP header in an IP packet, or None when it does not carry ESP."""
    if not l3:
        return None
    version = l3[0] >> 4
    if version == 4:
        if len(l3) < 20:
            return None
        return (l3[0] & 0xF) * 4 if l3[9] == _ESP else None
    if version != 6 or len(l3) < 40:
        return None
    nh, off = l3[6], 40
    while nh in _EXT:
        if len(l3) < off + 8:
            return None
        length = 8 if nh == 44 else (l3[off + 1] + 2) * 4 if nh == 51 else (l3[off + 1] + 1) * 8
        nh, off = l3[off], off + length
    return off if nh == _ESP else None


def ip_length(l3: bytes) -> int:
    """The IP packet's own length (Ethernet padding excluded); len(l3) when unreadable."""
    n = len(l3)
    if n >= 6:
        version = l3[0] >> 4
        if version == 4:
            declared = (l3[2] << 8) | l3[3]
            return declared if declared < n else n
        if version == 6:
            declared = 40 + ((l3[4] << 8) | l3[5])
            return declared if declared < n else n
    return n


class OpenedEsp(NamedTuple):
    """The lean view of an egress ESP packet: header fields, IV, ICV and the authenticated
    plaintext (inner ‖ padding ‖ pad length ‖ next header). The codec's full ``EspDecoded``
    (trailer parsed, problems named) is computed only when a check needs it."""

    spi: int
    seq: int
    iv: bytes
    icv: bytes
    icv_ok: bool
    plaintext: bytes
    l3: bytes
    seq_high: int


_SIG_HEAD = struct.Struct("!2sBxHI")  # magic, version, (flags), stream id, seq: signature.py v2 layout
_SIG_KEY = struct.Struct("!HI")  # stream id, seq: 4 bytes into the signature
_SIG_OFFSET_V4 = {17: 28, 253: 20, 254: 20}  # UDP payload; RFC 3692 experimental: right after IP


def _signature_key(inner: bytes) -> tuple[int, int] | None:
    """Signature at the usual place for IPv4 without options (UDP: 28, protocols 253/254: 20),
    else searched."""
    if len(inner) >= 38 and inner[0] == 0x45:
        off = _SIG_OFFSET_V4.get(inner[9])
        if off is not None and len(inner) >= off + SIGNATURE_LEN:
            magic, version, stream, seq = _SIG_HEAD.unpack_from(inner, off)
            if magic == MAGIC and version == VERSION:
                return stream, seq
    sig = find_signature(inner)
    return None if sig is None else (sig.stream_id, sig.seq)


def _fast_open(t: Any) -> tuple[int, int, Callable[[bytes, bytes, bytes], bytes] | None, bytes, Any]:
    """(IV length, ICV length, AEAD decrypt(nonce, ct ‖ icv, aad) or None, salt, the
    transform's open) of a non-ESN SA: AEAD SAs are opened with one call on the frame's bytes
    (RFC 4106/4309/7634: AAD = SPI ‖ seq, nonce = salt ‖ IV), the others by the transform."""
    if isinstance(t, AeadTransform):
        return t.iv_len, t.icv_len, t.aead.decrypt, t.salt, t.open
    return t.iv_len, t.icv_len, None, b"", t.open


class Observer:
    """Turns frames from the DUT into ``Received`` records, one decoder per outbound SA."""

    def __init__(self, out_sas: Sequence[SecurityAssociation]) -> None:
        self._decoders = {sa.spi: EspDecoder(sa.spec) for sa in out_sas}
        self._esn = {sa.spi: sa.spec.esn for sa in out_sas}
        self._top: dict[int, int] = {sa.spi: max(sa.esn_start, 1) - 1 for sa in out_sas}
        self._lens = {sa.spi: (self._decoders[sa.spi].transform.iv_len, self._decoders[sa.spi].transform.icv_len)
                      for sa in out_sas}
        self._fast = {spi: _fast_open(self._decoders[spi].transform) for spi in self._lens if not self._esn[spi]}

    def transform(self, spi: int):  # noqa: ANN201 - the codec's EspTransform protocol
        return self._decoders[spi].transform

    def full_decode(self, opened: OpenedEsp) -> EspDecoded:
        """The codec's complete decode of an opened packet (trailer parsed, problems named)."""
        return self._decoders[opened.spi].decode(opened.l3, seq_high=opened.seq_high)

    def observe(self, port: int, index: int, ts_ns: int, frame: bytes) -> Received:
        if len(frame) < 14 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
            return Received(port, index, ts_ns, frame, None)
        l3 = frame[14:]
        off = esp_offset(l3)
        if off is None:
            sig = find_signature(l3)
            key = None if sig is None else (sig.stream_id, sig.seq)
            return Received(port, index, ts_ns, frame, key, clear_l3=l3[:ip_length(l3)])
        if len(l3) < off + 8:
            return Received(port, index, ts_ns, frame, None)
        spi, seq_low = struct.unpack_from("!II", l3, off)
        decoder = self._decoders.get(spi)
        if decoder is None:
            return Received(port, index, ts_ns, frame, None, spi=spi)
        full = seq_low
        if self._esn[spi]:
            full = infer_esn(self._top[spi], _HALF, seq_low)
            self._top[spi] = max(self._top[spi], full)
        opened = self._open(decoder, spi, l3, off, full)
        key = _signature_key(opened.plaintext) if opened.icv_ok else None
        return Received(port, index, ts_ns, frame, key, spi=spi, esp=opened, esp_seq=full)

    def _open(self, decoder: EspDecoder, spi: int, l3: bytes, off: int, full: int) -> OpenedEsp:
        iv_len, icv_len = self._lens[spi]
        end = ip_length(l3)
        ct_off = off + 8 + iv_len
        if end - icv_len < ct_off:
            return OpenedEsp(spi, full, b"", b"", False, b"", l3, full >> 32)
        hdr8 = l3[off:off + 8]
        iv, icv = l3[off + 8:ct_off], l3[end - icv_len:end]
        seq_hi = struct.pack("!I", full >> 32) if self._esn[spi] else b""
        ok, pt = decoder.transform.open(hdr8, seq_hi, iv, l3[ct_off:end - icv_len], icv)
        return OpenedEsp(spi, full, iv, icv, ok, pt, l3[:end], full >> 32)

    def observe_all(self, received: Mapping[int, Sequence[tuple[int, bytes]]]) -> list[Received]:
        """``observe`` over every port's capture, in (port, capture index) order. The common
        egress frame (IPv4 without options, ESP on a known non-ESN SA whose ICV verifies, the
        signature at its usual place) is handled inline; anything else goes to ``observe``."""
        out: list[Received] = []
        append, observe, fast, new = out.append, self.observe, self._fast, tuple.__new__
        unpack_hdr, unpack_key, sig_at = _HDR8.unpack_from, _SIG_KEY.unpack_from, _SIG_OFFSET_V4.get
        head = MAGIC + bytes((VERSION,))
        for port, frames in sorted(received.items()):
            for i, (ts, frame) in enumerate(frames):
                if len(frame) < 42 or frame[14] != 0x45 or frame[23] != _ESP or frame[12:14] != b"\x08\x00":
                    append(observe(port, i, ts, frame))
                    continue
                spi, seq = unpack_hdr(frame, 34)
                sa = fast.get(spi)
                end = 14 + ((frame[16] << 8) | frame[17])
                if sa is None or end > len(frame):
                    append(observe(port, i, ts, frame))
                    continue
                iv_len, icv_len, decrypt, salt, open_ = sa
                ct_off = 42 + iv_len
                if end - icv_len < ct_off:
                    append(observe(port, i, ts, frame))
                    continue
                iv = frame[42:ct_off]
                if decrypt is not None:
                    try:
                        pt = decrypt(salt + iv, frame[ct_off:end], frame[34:42])
                    except Exception:  # noqa: BLE001 - InvalidTag and friends: the general path names it
                        append(observe(port, i, ts, frame))
                        continue
                else:
                    ok, pt = open_(frame[34:42], b"", iv, frame[ct_off:end - icv_len], frame[end - icv_len:end])
                    if not ok:
                        append(observe(port, i, ts, frame))
                        continue
                key = None
                if len(pt) >= 38 and pt[0] == 0x45:
                    off = sig_at(pt[9])
                    if off is not None and len(pt) >= off + SIGNATURE_LEN and pt[off:off + 3] == head:
                        key = unpack_key(pt, off + 4)
                if key is None:
                    key = _signature_key(pt)
                opened = new(OpenedEsp, (spi, seq, iv, frame[end - icv_len:end], True, pt, frame[14:end], 0))
                append(new(Received, (port, i, ts, frame, key, spi, opened, None, seq)))
        return out
