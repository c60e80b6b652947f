"""Input nodes: ``ethernet-input`` and ``ipsec-classify`` (secgw-reference.md 3.1).

``ethernet-input``: in: frames as received. Strips Ethernet, trims to the IP length.
Nexts: ``ipsec-classify``; drops RUNT_FRAME, NON_IP, MALFORMED_IP. The common case skips a
hop (VPP's ethernet-input also hands IPv4 straight to its feature arc): an IPv4 packet without
options that is not ESP, or is ESP with room for SPI and sequence number arriving on an
unprotected port, goes to ``spd-out``/``spd-in``/``sad-in`` as ``ipsec-classify`` would send
it; UDP when NAT-T classification is on, and everything else, goes to ``ipsec-classify``.

``ipsec-classify``: in: L3 packets. Direction comes only from the ingress port's role: an
unprotected port (``-u``) means inbound, any other port outbound. ESP is IPv4 protocol 50 or
an IPv6 extension chain reaching 50, and UDP 4500 when NAT-T classification is on.
Nexts: ``sad-in`` (inbound ESP), ``spd-in`` (inbound clear), ``spd-out`` (outbound clear);
drops ESP_ON_PROTECTED_PORT, ESP_TRUNCATED (no room for SPI and sequence number),
UDP_ENCAP_KEEPALIVE, UDP_ENCAP_NON_ESP, MALFORMED_IP (truncated IPv6 extension chain).
"""
from __future__ import annotations

from gateway_ref.cfg.records import Family
from gateway_ref.datapath.buf import Buf
from gateway_ref.datapath.drops import DropReason
from gateway_ref.datapath.graph import Node, drop_to
from gateway_ref.datapath.l3 import esp_offset, strip_ethernet


_V4 = Family.IPV4


class EthernetInput(Node):
    name = "ethernet-input"
    nexts = ("ipsec-classify", "sad-in", "spd-in", "spd-out", "drop")
    drops = frozenset({DropReason.RUNT_FRAME, DropReason.NON_IP, DropReason.MALFORMED_IP})

    def __init__(self, unprotected_ports: frozenset[int], natt: bool) -> None:
        super().__init__()
        self.unprotected = unprotected_ports
        self.natt = natt

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        reason_type = DropReason  # a local: cheaper than a global per packet
        classify = out["ipsec-classify"].append
        sad, spd_in, spd_out = out["sad-in"].append, out["spd-in"].append, out["spd-out"].append
        drops = out["drop"]
        strip, unprotected, natt_udp = strip_ethernet, self.unprotected, 17 if self.natt else -1
        for buf in bufs:
            frame = buf.data
            # fast path for the common case (plain IPv4, no options), same checks as strip_ethernet
            if len(frame) >= 34 and frame[12:15] == b"\x08\x00\x45":
                end = 14 + ((frame[16] << 8) | frame[17])
                if 34 <= end <= len(frame):
                    buf.data = frame[14:end]  # family stays IPV4 (the Buf default)
                    proto = frame[23]
                    if proto == 50:
                        if end >= 42 and buf.port in unprotected:  # ESP header present, inbound
                            buf.esp_off = 20
                            sad(buf)
                        else:
                            classify(buf)  # its drops: ESP on a protected port, truncated ESP
                    elif proto == natt_udp:
                        classify(buf)
                    else:
                        (spd_in if buf.port in unprotected else spd_out)(buf)
                    continue
            res = strip(frame)
            if type(res) is reason_type:
                drop_to(drops, buf, res, self.name)
            else:
                buf.data, buf.family = res  # type: ignore[misc]
                classify(buf)


class IpsecClassify(Node):
    name = "ipsec-classify"
    nexts = ("sad-in", "spd-in", "spd-out", "drop")
    drops = frozenset({DropReason.ESP_ON_PROTECTED_PORT, DropReason.ESP_TRUNCATED, DropReason.MALFORMED_IP,
                       DropReason.UDP_ENCAP_KEEPALIVE, DropReason.UDP_ENCAP_NON_ESP})

    def __init__(self, unprotected_ports: frozenset[int], natt: bool) -> None:
        super().__init__()
        self.unprotected = unprotected_ports
        self.natt = natt

    def process(self, bufs: list[Buf], out: dict[str, list[Buf]]) -> None:
        v4, reason_type = _V4, DropReason  # locals: cheaper per packet
        sad, spd_in, spd_out = out["sad-in"].append, out["spd-in"].append, out["spd-out"].append
        drops = out["drop"]
        unprotected, natt, find = self.unprotected, self.natt, esp_offset
        for buf in bufs:
            data = buf.data
            if buf.family is v4 and (data[9] != 17 or not natt):  # IPv4 fast paths
                off = (data[0] & 15) * 4 if data[9] == 50 else None
            else:
                off = find(data, buf.family, natt)
            inbound = buf.port in unprotected
            if off is None:
                (spd_in if inbound else spd_out)(buf)
            elif type(off) is reason_type:
                drop_to(drops, buf, off, self.name)
            elif not inbound:
                drop_to(drops, buf, DropReason.ESP_ON_PROTECTED_PORT, self.name)
            elif off + 8 > len(buf.data):  # type: ignore[operator]
                drop_to(drops, buf, DropReason.ESP_TRUNCATED, self.name)
            else:
                buf.esp_off = off  # type: ignore[assignment]
                sad(buf)
