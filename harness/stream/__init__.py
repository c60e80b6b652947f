"""Declarative traffic streams and their fast frame builder.

Role: stream specs (template, field variations, sizes incl. RFC 2544 and IMIX, count, rate in
exactly one unit, optional ESP with an ``EspSaSpec``), JSON round trip, compiled once to byte
offsets and incremental checksum fix-ups; the 18-byte payload signature every packet carries
(``signature``: the format shared with the verifier); ``SentPacket`` records.

May import: the standard library, ``harness.codec`` (builders, checksums, ESP encoder),
``harness.scenario`` (port MACs, JSON helpers) and ``harness.measure.rates`` (rate constants);
scapy only to convert a template once (``RawTemplate.from_scapy``). Never ``gateway_ref``.
"""
from harness.stream.builder import (
    CompiledStream,
    PacketKind,
    PortMacs,
    SentPacket,
    build_frames,
    build_packets,
    compile_stream,
    iter_frames,
)
from harness.stream.policy_streams import policy_streams
from harness.stream.rate import Rate, RateUnit
from harness.stream.signature import Signature, find_signature, pack_signature, unpack_signature
from harness.stream.sizes import SizeBasis, SizeKind, SizeSpec, frame_to_l3, l3_to_frame
from harness.stream.spec import EspStreamSpec, StreamSpec
from harness.stream.template import ExtKind, HeaderTemplate, L4Proto, RawTemplate
from harness.stream.variation import Variation, VarField, VarOp

__all__ = [
    "CompiledStream", "EspStreamSpec", "ExtKind", "HeaderTemplate", "L4Proto", "PacketKind", "PortMacs", "Rate",
    "RateUnit", "RawTemplate", "SentPacket", "Signature", "SizeBasis", "SizeKind", "SizeSpec", "StreamSpec",
    "VarField", "VarOp", "Variation", "build_frames", "build_packets", "compile_stream", "find_signature",
    "frame_to_l3", "iter_frames", "l3_to_frame", "pack_signature", "policy_streams", "unpack_signature",
]
