"""Ports: where frames leave and enter the harness, with kernel timestamps and drop counters.

Role: the ``Port`` protocol (``port``), token-bucket pacing shared by every port
(``pacing``), a small classic-pcap codec (``pcap``), and implementations: ``MemoryPort``
(offline), ``PcapPort`` (files), ``AfPacketPort`` (live, in a namespace; TX via sendmmsg(), ``send()`` or a
TPACKET_V2 TX ring, RX via a TPACKET_V3 RX ring whose blocks are copied out while capturing and
split into frames on request, or ``recv_into`` + SO_TIMESTAMPNS), and tcpreplay as an optional
fast sender (``tcpreplay``).

May import: the standard library and ``harness.topo`` (to open sockets inside a namespace).
Never imports ``gateway_ref``.
"""
from harness.io.afpacket import AfPacketConfig, AfPacketPort, RxMode, TxMode
from harness.io.memory import MemoryPort
from harness.io.pcap import PcapError, decode_pcap, encode_pcap, read_pcap, write_pcap
from harness.io.pcapport import PcapPort
from harness.io.port import Captured, Port, PortError, PortStats, SendResult, StopReason

__all__ = [
    "AfPacketConfig",
    "AfPacketPort",
    "RxMode",
    "TxMode",
    "Captured",
    "MemoryPort",
    "PcapError",
    "PcapPort",
    "Port",
    "PortError",
    "PortStats",
    "SendResult",
    "StopReason",
    "decode_pcap",
    "encode_pcap",
    "read_pcap",
    "write_pcap",
]
