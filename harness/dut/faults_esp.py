"""Open and re-seal the ESP packets a DUT emitted, with the keys of the cfg it was given.

The fault-injecting wrapper (``faults``) uses this to forge packets a broken gateway could
send *with a valid ICV*: a reused sequence number or IV, wrong pad bytes, a wrong next header
or SPI (RFC 4303 §2, §3.3). The crypto is ``gateway_ref``'s (cfg parser and per-SA transforms):
this code lives on the DUT side of the harness, like the reference adapter, so the harness's
own codec and verifier stay an independent implementation that has to catch these faults.

ESN (RFC 4303 §2.2.1): only the low 32 bits are on the wire; the high half is inferred per SA
from the highest sequence number opened so far (the next epoch is tried when the current one
does not verify).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, replace

from gateway_ref.cfg import parse_cfg
from gateway_ref.cfg.errors import ConfigError
from gateway_ref.cfg.records import Direction, SaRule
from gateway_ref.crypto.transforms import Transform, TransformError, build_transform
from gateway_ref.proto import ipv4, ipv6

_HDR = struct.Struct("!II")
_U32 = struct.Struct("!I")
_NAT_T_HEADER = 8


@dataclass(frozen=True)
class OpenedEsp:
    """One emitted ESP packet, opened. ``l3`` is the outer IP packet (trimmed to its length),
    ``off`` the offset of the ESP header in it; ``plain`` = payload ‖ padding ‖ pad length ‖
    next header; ``seq`` the full (ESN-inferred) sequence number."""

    l3: bytes
    off: int
    spi: int
    seq: int
    iv: bytes
    plain: bytes

    @property
    def pad_len(self) -> int:
        return self.plain[-2]

    @property
    def next_header(self) -> int:
        return self.plain[-1]


def ip_packet_length(l3: bytes) -> int:
    """The IP packet's own length, clamped to the bytes present."""
    if len(l3) >= 20 and l3[0] >> 4 == 4:
        return min(ipv4.total_len(l3), len(l3))
    if len(l3) >= 40 and l3[0] >> 4 == 6:
        return min(ipv6.HEADER_LEN + ipv6.payload_len(l3), len(l3))
    return len(l3)


def esp_offset(l3: bytes, udp_encap: bool) -> int | None:
    """Offset of the ESP header in an IP packet (behind IPv6 extension headers and, when the
    cfg has NAT-T SAs, behind a UDP header), or None when there is none."""
    if len(l3) >= 20 and l3[0] >> 4 == 4:
        off, proto = ipv4.header_len(l3), l3[ipv4.OFF_PROTO]
    elif len(l3) >= 40 and l3[0] >> 4 == 6:
        walked = ipv6.walk(l3)
        if walked is None:
            return None
        _, proto, off = walked
    else:
        return None
    if proto == ipv4.PROTO_UDP and udp_encap:
        off += _NAT_T_HEADER
    elif proto != ipv4.PROTO_ESP:
        return None
    return off if len(l3) >= off + _HDR.size else None


class _SaKeys:
    """One outbound SA: its transform, ESN flag and the highest sequence number opened."""

    def __init__(self, rule: SaRule, transform: Transform, esn: bool) -> None:
        self.rule, self.transform, self.esn = rule, transform, esn
        self.top = max(rule.esn, 1) - 1

    def seq_hi(self, full: int) -> bytes:
        return _U32.pack(full >> 32) if self.esn else b""


class EspResealer:
    """Opens and re-seals packets of the outbound SAs of one cfg."""

    def __init__(self, cfg_text: str, *, engine: str = "library", esn: bool = False) -> None:
        try:
            cfg = parse_cfg(cfg_text, "faulty-dut.cfg", engine=engine)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        self._sas: dict[int, _SaKeys] = {}
        for rule in cfg.sa:
            if rule.direction is not Direction.OUT:
                continue
            sa_esn = engine == "library" and (esn or rule.esn > 0)
            try:
                t = build_transform(rule.cipher_algo, rule.cipher_key, rule.auth_algo, rule.auth_key,
                                    rule.aead_algo, rule.aead_key, esn=sa_esn)
            except TransformError as exc:
                raise ValueError(f"SA out {rule.spi}: {exc}") from None
            self._sas[rule.spi] = _SaKeys(rule, t, sa_esn)
        self.udp_encap = any(k.rule.udp_encap for k in self._sas.values())

    def icv_len(self, spi: int) -> int:
        return self._sas[spi].transform.icv_len

    def open(self, l3: bytes) -> OpenedEsp | None:
        """The packet opened with its SA's keys; None when it is not ESP of a known outbound SA
        or does not verify (it is then left alone)."""
        l3 = l3[:ip_packet_length(l3)]
        off = esp_offset(l3, self.udp_encap)
        if off is None:
            return None
        spi, seq_lo = _HDR.unpack_from(l3, off)
        keys = self._sas.get(spi)
        if keys is None:
            return None
        t = keys.transform
        ct = off + _HDR.size + t.iv_len
        if len(l3) < ct + t.icv_len + 2:
            return None
        hdr, iv = l3[off:off + _HDR.size], l3[off + _HDR.size:ct]
        epoch = keys.top >> 32
        for hi in ((epoch, epoch + 1) if keys.esn else (0,)):
            full = hi << 32 | seq_lo
            plain = t.open_packet(hdr, keys.seq_hi(full), iv, l3[ct:])
            if plain is not None:
                keys.top = max(keys.top, full)
                return OpenedEsp(l3, off, spi, full, iv, plain)
        return None

    def seal(self, opened: OpenedEsp, *, spi: int | None = None, seq: int | None = None,
             iv: bytes | None = None, plain: bytes | None = None) -> bytes:
        """The outer packet again, with the given fields replaced and a valid ICV computed
        with the original SA's keys (the lengths must not change)."""
        keys = self._sas[opened.spi]
        new = replace(opened, spi=opened.spi if spi is None else spi, seq=opened.seq if seq is None else seq,
                      iv=opened.iv if iv is None else iv, plain=opened.plain if plain is None else plain)
        if len(new.iv) != len(opened.iv) or len(new.plain) != len(opened.plain):
            raise ValueError("re-sealing must keep the IV and plaintext lengths")
        hdr = _HDR.pack(new.spi, new.seq & 0xFFFFFFFF)
        sealed = keys.transform.seal_packet(hdr, keys.seq_hi(new.seq), new.iv, new.plain)
        return opened.l3[:opened.off] + hdr + new.iv + sealed
