"""The traffic of one performance point: frames for the protected flows of a scenario.

Encrypt direction: clear frames from the protected-side host of each outbound protect rule to
its remote-side host, sent into the protected port; the DUT must emit them as ESP on the
unprotected port. Decrypt direction: what the peer sends, the same flows reversed and
encrypted with each tunnel's inbound SA (sequence numbers from ``seq_start``), into the
unprotected port; the DUT must emit clear frames on the protected port.

With one tunnel there is one stream (``STREAM_ID``). With N tunnels (a scenario from
``harness.scenario.scale``: single-host protect rules on consecutive addresses) the frame
count is rounded up to a multiple of N so every tunnel gets the same share, and frames go
round-robin over the tunnels (frame i belongs to tunnel i mod N): encrypt is ONE stream
whose inner source and destination addresses both ``inc`` over the N hosts (a field
variation compiled once); decrypt is one stream per tunnel (stream id k + 1, its own SA),
interleaved, because each tunnel's ESP needs its own key.

Each frame carries the payload signature (``harness.stream.signature``), so ``KeyReader``
gets (stream id, sequence) back from an emitted frame: directly for clear frames, after
decryption with the harness's own ESP decoder (RFC 4303 §3.4; the SA picked by the SPI when
there are several) for ESP frames.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from harness.codec.esp_decode import EspDecoder
from harness.codec.spec import EspSaSpec
from harness.measure.rates import FrameSize, Imix
from harness.measure.sweep import CryptoDirection
from harness.perf.scenario_ops import protected_tunnels
from harness.scenario import Direction, Family, PolicyAction, PortRole, Scenario, Tunnel
from harness.scenario.model import Policy
from harness.stream import (
    EspStreamSpec, HeaderTemplate, L4Proto, SizeSpec, StreamSpec, Variation, VarField, VarOp, build_frames,
    find_signature)

ETH = 14
STREAM_ID = 1
UDP_MIN_L3 = {Family.IPV4: 20 + 8 + 24, Family.IPV6: 40 + 8 + 24}  # IP + UDP + signature

FrameKey = tuple[int, int]
KeyReader = Callable[[bytes], FrameKey | None]


@dataclass(frozen=True)
class PointTraffic:
    """Frames offered to DUT port ``in_port``; they must leave on ``out_port``. ``keys[i]`` is
    the (stream id, seq) signature of ``frames[i]``; each of the ``tunnels`` tunnels carries
    ``len(frames) // tunnels`` of them."""

    in_port: int
    out_port: int
    frames: list[bytes]
    keys: list[FrameKey]
    read_key: KeyReader
    tunnels: int = 1

    @property
    def per_tunnel(self) -> int:
        return len(self.frames) // self.tunnels


def size_spec(frame: FrameSize) -> SizeSpec:
    """A ``SizeSpec`` of clear frame sizes (FCS included) for a sweep frame size."""
    return SizeSpec.imix() if isinstance(frame, Imix) else SizeSpec.fixed(frame)


class _Rules:
    """Protect rules of a scenario by (direction, SPI), indexed once."""

    def __init__(self, scenario: Scenario) -> None:
        self.name = scenario.name
        self.by_spi = {(p.direction, p.spi): p for p in scenario.policies if p.action is PolicyAction.PROTECT}

    def get(self, direction: Direction, spi: int) -> Policy:
        try:
            return self.by_spi[(direction, spi)]
        except KeyError:
            raise ValueError(f"scenario {self.name!r}: no {direction.value}bound protect rule for SPI {spi}") from None


def _host(net: ipaddress.IPv4Network | ipaddress.IPv6Network | None) -> str:
    if net is None:
        raise ValueError("performance flows need protect rules with explicit src and dst prefixes")
    return str(net.network_address + 1) if net.num_addresses > 1 else str(net.network_address)


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


def esp_keys_reader(specs: Sequence[EspSaSpec]) -> KeyReader:
    """Reads keys out of ESP frames of any SA of ``specs``, picked by the frame's SPI; one
    decoder per SA, built the first time its SPI is seen."""
    if len(specs) == 1:
        return esp_key_reader(specs[0])
    by_spi = {s.spi: s for s in specs}
    readers: dict[int, KeyReader] = {}
    locate = EspDecoder(specs[0]).locate

    def read(frame: bytes) -> FrameKey | None:
        l3 = frame[ETH:]
        off, _, _, problem = locate(l3)
        if problem is not None or len(l3) < off + 4:
            return None
        spi = int.from_bytes(l3[off:off + 4], "big")
        reader = readers.get(spi)
        if reader is None:
            spec = by_spi.get(spi)
            if spec is None:
                return None
            reader = readers[spi] = esp_key_reader(spec)
        return reader(frame)
    return read


def _proto(sizes: SizeSpec, family: Family) -> L4Proto:
    return L4Proto.UDP if min(sizes.l3_cycle()) >= UDP_MIN_L3[family] else L4Proto.NONE


def _flow(rules: _Rules, tunnel: Tunnel, direction: CryptoDirection) -> Policy:
    sa = tunnel.outbound if direction is CryptoDirection.ENCRYPT else tunnel.inbound
    assert sa is not None  # protected_tunnels guarantees both SAs
    return rules.get(sa.direction, sa.spi)


def _tunnel_stream(rules: _Rules, tunnel: Tunnel, direction: CryptoDirection, sizes: SizeSpec, count: int,
                   port: int, stream_id: int, seq_start: int) -> StreamSpec:
    pol = _flow(rules, tunnel, direction)
    esp = None
    if direction is CryptoDirection.DECRYPT:
        assert tunnel.inbound is not None
        esp = EspStreamSpec(tunnel.inbound.spec, seq_start)
    template = HeaderTemplate(_host(pol.src), _host(pol.dst), _proto(sizes, pol.family))
    return StreamSpec(stream_id, template, count, sizes, port=port, esp=esp, name=f"perf-{direction.value}")


def _spread_variations(rules: _Rules, tunnels: Sequence[Tunnel]) -> tuple[Variation, ...]:
    """``inc`` on both inner addresses over the tunnels' hosts, which must be consecutive
    (tunnel k's hosts = tunnel 0's + k, as ``harness.scenario.scale`` lays them out)."""
    flows = [_flow(rules, t, CryptoDirection.ENCRYPT) for t in tunnels]
    src0, dst0 = (ipaddress.ip_address(_host(n)) for n in (flows[0].src, flows[0].dst))
    for k, pol in enumerate(flows):
        if (ipaddress.ip_address(_host(pol.src)), ipaddress.ip_address(_host(pol.dst))) != (src0 + k, dst0 + k):
            raise ValueError(f"tunnel {tunnels[k].name!r}: protect rule hosts {pol.src} -> {pol.dst} are not "
                             f"tunnel 0's + {k}; multi-tunnel points need harness.scenario.scale layouts")
    n = len(tunnels) - 1
    return (Variation(VarField.SRC, VarOp.INC, str(src0), str(src0 + n)),
            Variation(VarField.DST, VarOp.INC, str(dst0), str(dst0 + n)))


def point_stream(scenario: Scenario, direction: CryptoDirection, frame: FrameSize, count: int,
                 seq_start: int = 1) -> StreamSpec:
    """The stream spec of a one-tunnel point, or of an encrypt point over all tunnels."""
    tunnels, rules = protected_tunnels(scenario), _Rules(scenario)
    sizes = size_spec(frame)
    role = PortRole.PROTECTED if direction is CryptoDirection.ENCRYPT else PortRole.UNPROTECTED
    stream = _tunnel_stream(rules, tunnels[0], direction, sizes, count, _port(scenario, role), STREAM_ID, seq_start)
    if len(tunnels) == 1:
        return stream
    if direction is CryptoDirection.DECRYPT:
        raise ValueError("a decrypt point over several tunnels is one stream per tunnel: use point_traffic")
    return StreamSpec(stream.stream_id, stream.template, count, sizes, port=stream.port,
                      variations=_spread_variations(rules, tunnels), name=stream.name)


def point_traffic(scenario: Scenario, direction: CryptoDirection, frame: FrameSize, count: int,
                  seq_start: int = 1) -> PointTraffic:
    """Frames and key reader of one point: ``count`` frames rounded up to a multiple of the
    tunnel count, each tunnel's ESP sequence (decrypt) from ``seq_start``."""
    tunnels = protected_tunnels(scenario)
    n = len(tunnels)
    total = -(-count // n) * n
    if direction is CryptoDirection.ENCRYPT:
        stream = point_stream(scenario, direction, frame, total, seq_start)
        reader = esp_keys_reader([t.outbound.spec for t in tunnels if t.outbound is not None])
        return PointTraffic(stream.port, _port(scenario, PortRole.UNPROTECTED), build_frames(stream, scenario),
                            [(STREAM_ID, i) for i in range(total)], reader, n)
    per, rules, sizes = total // n, _Rules(scenario), size_spec(frame)
    port = _port(scenario, PortRole.UNPROTECTED)
    ids = [STREAM_ID] if n == 1 else [k + 1 for k in range(n)]
    built = [build_frames(_tunnel_stream(rules, t, direction, sizes, per, port, sid, seq_start), scenario)
             for t, sid in zip(tunnels, ids)]
    frames = [built[k][j] for j in range(per) for k in range(n)]
    keys = [(ids[k], j) for j in range(per) for k in range(n)]
    return PointTraffic(port, _port(scenario, PortRole.PROTECTED), frames, keys, clear_key, n)
