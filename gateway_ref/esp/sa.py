"""ESP security associations: frozen parameters, mutable runtime, and ``make_sa``.

Split VPP-style: ``EspSaParams`` (what the cfg said, resolved) never changes; ``EspSaRuntime``
holds the sequence counter, the replay window and the counters. ``EspSa`` ties both to the
per-SA transform and to the per-SA encrypt/decrypt closures built in ``outbound``/``inbound``.

Engines (secgw-reference §3.6, §3.7):
* ``LIBRARY`` (secgw ``-l``): anti-replay window (``-w``; 0 disables it), ESN (``-e`` or per-SA
  ``esn N``; an ESN SA gets a window of at least 64), sequence numbers that never wrap without
  ESN (SEQUENCE_EXHAUSTED), outer IPv4 ID = low 16 bits of the sequence, inner TTL untouched,
  tunnel next header checked against the SA's inner protocol.
* ``LEGACY``: no window, no ESN, the 32-bit wire sequence wraps silently, outer IPv4 ID 0, inner
  TTL/hop limit decremented on encapsulation and on decapsulation, legacy padding alignment,
  next header not checked.

Deliberate deviations from secgw, as DESIGN.md lists them: the outer IPv6 hop limit is 64
(secgw's library template leaves 0); the replay window follows RFC 4303 (secgw also accepts
T - W); UDP encapsulation uses source and destination port 4500 (RFC 3948 §2.1; secgw's
inline-crypto path sends source port 0), with checksum 0 over IPv4 and a computed checksum over
IPv6. Per-SA byte counters count inner (plaintext) IP bytes in both directions.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway_ref.cfg.engine import Engine, unsupported_reason
from gateway_ref.cfg.errors import ConfigError
from gateway_ref.cfg.records import Family, SaMode, SaRule
from gateway_ref.crypto.transforms import Transform, TransformError, algorithms_of, build_transform
from gateway_ref.datapath.drops import DropReason

ESN_MIN_WINDOW = 64


@dataclass(frozen=True)
class EspSaParams:
    spi: int
    mode: SaMode
    inner_family: Family
    outer_family: Family  # the packet family for transport SAs
    src: bytes  # packed outer source address (tunnel), b"" for transport
    dst: bytes
    algorithm: str  # transform name, e.g. "aes-128-gcm" or "aes-128-cbc+sha256-hmac"
    iv_len: int
    icv_len: int
    align: int  # padding alignment of this engine
    replay_window: int  # 0 = anti-replay disabled
    esn: bool
    initial_seq: int  # the cfg's esn value (0 when unset)
    engine: Engine
    udp_encap: bool

    @property
    def tunnel(self) -> bool:
        return self.mode is not SaMode.TRANSPORT


class EspSaRuntime:
    """Mutable per-SA state. ``seq``: last sequence number sent; ``top``/``bitmap``: replay
    window (highest accepted, bit i = top - i seen); counters of good packets, their inner
    bytes, and drops by reason."""

    __slots__ = ("seq", "top", "bitmap", "packets", "bytes", "drops")

    def __init__(self, seq: int, top: int) -> None:
        self.seq = seq
        self.top = top
        self.bitmap = 0
        self.packets = 0
        self.bytes = 0
        self.drops: dict[DropReason, int] = {}

    def drop(self, reason: DropReason) -> DropReason:
        self.drops[reason] = self.drops.get(reason, 0) + 1
        return reason


class EspSa:
    """One SA: params, runtime, transform and its specialised per-packet closures.

    ``enc_prepare(l3)``, ``enc_finish(op)``, ``dec_prepare(l3)``, ``dec_finish(op)`` are what
    the module-level API functions call; a node may bind them directly to save a call.
    ``enc_sync(l3)``/``dec_sync(l3)`` are prepare, crypto and finish at once (outbound: a fused
    fast path where the SA allows one, see ``outbound``), for callers that run the crypto
    synchronously on one packet. ``dec_burst(l3s)`` decrypts a burst as the datapath's
    ``esp-decrypt`` does (every prepare and crypto, then every finish in order), fused where
    the SA allows (see ``inbound``).
    """

    __slots__ = ("params", "rt", "transform", "rule", "enc_prepare", "enc_finish", "enc_sync",
                 "dec_prepare", "dec_finish", "dec_sync", "dec_burst")

    enc_prepare: Callable[[bytes], Any]
    enc_finish: Callable[[Any], Any]
    enc_sync: Callable[[bytes], Any]
    dec_prepare: Callable[[bytes], Any]
    dec_finish: Callable[[Any], Any]
    dec_sync: Callable[[bytes], Any]
    dec_burst: Callable[[list[bytes]], list[Any]]

    def __init__(self, params: EspSaParams, rt: EspSaRuntime, transform: Transform, rule: SaRule) -> None:
        self.params = params
        self.rt = rt
        self.transform = transform
        self.rule = rule

    def __repr__(self) -> str:
        p = self.params
        return f"<EspSa spi={p.spi} {p.mode.value} {p.algorithm} {p.engine.value}>"


def _outer_family(rule: SaRule, inner: Family) -> Family:
    if rule.mode is SaMode.IPV4_TUNNEL:
        return Family.IPV4
    if rule.mode is SaMode.IPV6_TUNNEL:
        return Family.IPV6
    return inner


def _check_engine(rule: SaRule, engine: Engine) -> None:
    try:
        algos = algorithms_of(rule.cipher_algo, rule.auth_algo, rule.aead_algo)
    except TransformError as e:
        raise ConfigError(rule.pos, f"sa {rule.spi}: {e}") from None
    for a in algos:
        why = unsupported_reason(a, engine)
        if why is not None:
            raise ConfigError(rule.pos, f"sa {rule.spi}: {why}")


def _align(rule: SaRule, engine: Engine) -> int:
    algo = algorithms_of(rule.cipher_algo, rule.auth_algo, rule.aead_algo)[0]
    return algo.align if engine is Engine.LIBRARY else algo.legacy_align


def make_sa(rule: SaRule, inner_family: Family, *, replay_window: int, esn: bool,
            engine: Engine) -> EspSa:
    """Build the SA for RULE. Raises ConfigError (naming the rule's file:line:col) for an
    algorithm the engine or the crypto library does not support, or inconsistent endpoints."""
    from gateway_ref.esp.inbound import build_inbound
    from gateway_ref.esp.outbound import build_outbound

    _check_engine(rule, engine)
    if replay_window < 0:
        raise ConfigError(rule.pos, f"sa {rule.spi}: replay window must be >= 0, got {replay_window}")
    library = engine is Engine.LIBRARY
    esn_on = library and (esn or rule.esn > 0)
    window = replay_window if library else 0
    if esn_on:
        window = max(window, ESN_MIN_WINDOW)
    outer = _outer_family(rule, inner_family)
    src = dst = b""
    if rule.mode is not SaMode.TRANSPORT:
        if rule.src is None or rule.dst is None or rule.src.version != outer.value \
                or rule.dst.version != outer.value:
            raise ConfigError(rule.pos, f"sa {rule.spi}: {rule.mode.value} needs IPv{outer.value} src and dst")
        src, dst = rule.src.packed, rule.dst.packed
    try:
        tr = build_transform(rule.cipher_algo, rule.cipher_key, rule.auth_algo, rule.auth_key,
                             rule.aead_algo, rule.aead_key, esn=esn_on)
    except TransformError as e:
        raise ConfigError(rule.pos, f"sa {rule.spi}: {e}") from None
    initial = rule.esn if esn_on else 0
    params = EspSaParams(rule.spi, rule.mode, inner_family, outer, src, dst, tr.name, tr.iv_len,
                         tr.icv_len, _align(rule, engine), window, esn_on, initial, engine,
                         rule.udp_encap)
    sa = EspSa(params, EspSaRuntime(seq=max(initial, 1) - 1, top=initial), tr, rule)
    sa.enc_prepare, sa.enc_finish, sa.enc_sync = build_outbound(sa)
    sa.dec_prepare, sa.dec_finish, sa.dec_sync, sa.dec_burst = build_inbound(sa)
    return sa
