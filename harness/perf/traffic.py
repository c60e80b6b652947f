"""The traffic of one performance point: frames for one protected flow of a scenario.

Encrypt direction: clear frames from the first host of the outbound protect rule's source
prefix to the first host of its destination prefix, sent into the protected port; the DUT
must emit them as ESP on the unprotected port. Decrypt direction: what the peer sends, the
same flow reversed and encrypted with the inbound SA (sequence numbers from ``seq_start``),
into the unprotected port; the DUT must emit clear frames on the protected port.

Each frame carries the payload signature (``harness.stream.signature``), so ``KeyReader``
gets (stream id, sequence) back from an emitted frame: directly for clear frames, after
decryption with the harness's own ESP decoder (RFC 4303 §3.4) for ESP frames.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.codec.esp_decode import EspDecoder
from harness.codec.spec import EspSaSpec
from harness.measure.rates import FrameSize, Imix
from harness.measure.sweep import CryptoDirection
from harness.scenario import Direction, Family, PolicyAction, PortRole, Scenario
from harness.scenario.model import Policy
from harness.stream import EspStreamSpec, HeaderTemplate, L4Proto, SizeSpec, StreamSpec, build_frames, find_signature
from harness.perf.scenario_ops import first_tunnel

ETH = 14
STREAM_ID = 1
UDP_MIN_L3 = {Family.IPV4: 20 + 8 + 24, Family.IPV6: 40 + 8 + 24}  # IP + UDP + signature

FrameKey = tuple[int, int]
KeyReader = Callable[[bytes], FrameKey | None]


@dataclass(frozen=True)
class PointTraffic:
    """Frames offered to DUT port ``in_port``; they must leave on ``out_port``."""

    in_port: int
    out_port: int
    frames: list[bytes]
    stream_id: int
    read_key: KeyReader


def size_spec(frame: FrameSize) -> SizeSpec:
    """A ``SizeSpec`` of clear frame sizes (FCS included) for a sweep frame size."""
    return SizeSpec.imix() if isinstance(frame, Imix) else SizeSpec.fixed(frame)


def _protect_policy(scenario: Scenario, direction: Direction, spi: int) -> Policy:
    for pol in scenario.policies:
        if pol.action is PolicyAction.PROTECT and pol.direction is direction and pol.spi == spi:
            return pol
    raise ValueError(f"scenario {scenario.name!r}: no {direction.value}bound protect rule for SPI {spi}")


def _host(net: object) -> str:
    if net is None:
        raise ValueError("performance flows need protect rules with explicit src and dst prefixes")
    n = net  # an ip_network
    return str(n.network_address + 1) if n.num_addresses > 1 else str(n.network_address)  # type: ignore[attr-defined]


def _port(scenario: Scenario, role: PortRole) -> int:
    ports = scenario.ports_with_role(role)
    if not ports:
        raise ValueError(f"scenario {scenario.name!r} has no {role.value} port")
    return ports[0].id


def clear_key(frame: bytes) -> FrameKey | None:
    """(stream, seq) of a clear Ethernet frame, None without a signature."""
    sig = find_signature(frame[ETH:])
    return None if sig is None else (sig.stream_id, sig.seq)


def esp_key_reader(spec: EspSaSpec) -> KeyReader:
    """Reads keys out of ESP frames of the SA ``spec``: decrypt, then find the signature."""
    decoder = EspDecoder(spec)

    def read(frame: bytes) -> FrameKey | None:
        decoded = decoder.decode(frame[ETH:])
        if not decoded.icv_ok or not decoded.inner:
            return None
        sig = find_signature(decoded.inner)
        return None if sig is None else (sig.stream_id, sig.seq)
    return read


def point_stream(scenario: Scenario, direction: CryptoDirection, frame: FrameSize, count: int,
                 seq_start: int = 1) -> StreamSpec:
    """The stream spec of one point (see the module docstring)."""
    tunnel = first_tunnel(scenario)
    out_sa, in_sa = tunnel.outbound, tunnel.inbound
    assert out_sa is not None and in_sa is not None  # first_tunnel guarantees both
    sizes = size_spec(frame)
    smallest = min(sizes.l3_cycle())
    if direction is CryptoDirection.ENCRYPT:
        pol, esp, port = _protect_policy(scenario, Direction.OUT, out_sa.spi), None, _port(scenario, PortRole.PROTECTED)
    else:
        pol = _protect_policy(scenario, Direction.IN, in_sa.spi)
        esp, port = EspStreamSpec(in_sa.spec, seq_start), _port(scenario, PortRole.UNPROTECTED)
    proto = L4Proto.UDP if smallest >= UDP_MIN_L3[pol.family] else L4Proto.NONE
    template = HeaderTemplate(_host(pol.src), _host(pol.dst), proto)
    return StreamSpec(STREAM_ID, template, count, sizes, port=port, esp=esp,
                      name=f"perf-{direction.value}")


def point_traffic(scenario: Scenario, direction: CryptoDirection, frame: FrameSize, count: int,
                  seq_start: int = 1) -> PointTraffic:
    """Frames and key reader of one point; ``count`` frames, ESP sequence from ``seq_start``."""
    stream = point_stream(scenario, direction, frame, count, seq_start)
    tunnel = first_tunnel(scenario)
    assert tunnel.outbound is not None
    if direction is CryptoDirection.ENCRYPT:
        out_port, reader = _port(scenario, PortRole.UNPROTECTED), esp_key_reader(tunnel.outbound.spec)
    else:
        out_port, reader = _port(scenario, PortRole.PROTECTED), clear_key
    return PointTraffic(stream.port, out_port, build_frames(stream, scenario), stream.stream_id, reader)
