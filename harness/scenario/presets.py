"""Named scenarios for the test matrix, built by parsing the name.

Name grammar (fields in this order, joined by ``-``)::

    LAYOUT ALGO [AUTH] [esn] [wN] [cpu|inline] [legacy]

* LAYOUT: ``tun44`` ``tun66`` ``tun46`` ``tun64`` (tunnel, ``tunIO`` = inner family I over
  outer family O, so ``tun46`` is IPv4 in IPv6) or ``trs4`` ``trs6`` (transport);
* ALGO: an AEAD token (``aes128gcm`` ... ``aes256ccm``, ``chacha20``) alone, or a cipher token
  (``null``, ``aes128cbc``, ``aes128ctr``, ``3descbc``, ``descbc``, ``sm4cbc``, ...) followed by
  an AUTH token (``null``, ``sha1``, ``sha256``, ``sha384``, ``sha512``, ``gmac``, ``xcbc``, ``sm3``);
* ``esn``: ESN on (``-e`` and ESN in the harness SA specs); ``wN``: replay window N (``-w N``);
* ``cpu``: SA type cpu-crypto; ``inline``: inline-crypto-offload on port 0;
* ``legacy``: the legacy engine (required for des-cbc and sm4-cbc, excludes ``esn``/``wN``).

Examples: ``tun44-aes128gcm``, ``tun66-aes256cbc-sha256-esn-w64``, ``trs6-chacha20``.

Every preset has the same shape: port 0 unprotected, port 1 protected; outbound SA 1001 and
inbound SA 2001; protect rules both ways for the flow prefixes, a bypass rule for the bypass
prefixes and a discard rule for the discard prefixes (inner family), routes for both families,
a neighbour per port. Addresses only from the benchmarking ranges (RFC 2544 / RFC 5180):
protected-side hosts 198.18.0.0/16 and 2001:2:0:1::/64, remote hosts 198.19.0.0/16 and
2001:2:0:2::/64, tunnel endpoints 198.18.255.1 (gateway) <-> 198.19.255.1 (peer) and
2001:2:0:ff::1 <-> 2001:2:0:fe::1. Keys are SHA-256 derived from the canonical name.
"""
from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass

from harness.codec.algorithms import AEADS, AUTHS, CIPHERS
from harness.codec.spec import EspMode, EspSaSpec
from harness.scenario.model import (
    Direction,
    Engine,
    Family,
    GatewayOptions,
    Neighbour,
    Policy,
    PolicyAction,
    Port,
    PortRole,
    Route,
    SaType,
    SecurityAssociation,
    Tunnel,
)
from harness.scenario.scenario import Scenario
from harness.scenario.support import LEGACY_ONLY

UNPROTECTED_PORT, PROTECTED_PORT = 0, 1
SPI_OUT, SPI_IN = 1001, 2001

LAYOUTS: dict[str, tuple[EspMode, Family, Family]] = {  # token -> (mode, inner, outer)
    "tun44": (EspMode.TUNNEL, Family.IPV4, Family.IPV4),
    "tun66": (EspMode.TUNNEL, Family.IPV6, Family.IPV6),
    "tun46": (EspMode.TUNNEL, Family.IPV4, Family.IPV6),
    "tun64": (EspMode.TUNNEL, Family.IPV6, Family.IPV4),
    "trs4": (EspMode.TRANSPORT, Family.IPV4, Family.IPV4),
    "trs6": (EspMode.TRANSPORT, Family.IPV6, Family.IPV6),
}
AEAD_TOKENS = {kw.replace("-", "").replace("poly1305", ""): kw for kw in AEADS}
CIPHER_TOKENS = {kw.replace("-", ""): kw for kw in CIPHERS}
AUTH_TOKENS = {"null": "null", "sha1": "sha1-hmac", "sha256": "sha256-hmac", "sha384": "sha384-hmac",
               "sha512": "sha512-hmac", "gmac": "aes-gmac", "xcbc": "aes-xcbc-mac-96", "sm3": "sm3-hmac"}
TYPE_TOKENS = {"cpu": SaType.CPU_CRYPTO, "inline": SaType.INLINE_CRYPTO}

# (protected side, remote side) prefixes per family and purpose.
FLOWS = {
    Family.IPV4: {"protect": ("198.18.1.0/24", "198.19.1.0/24"), "bypass": ("198.18.2.0/24", "198.19.2.0/24"),
                  "discard": ("198.18.3.0/24", "198.19.3.0/24")},
    Family.IPV6: {"protect": ("2001:2:0:1:1::/80", "2001:2:0:2:1::/80"),
                  "bypass": ("2001:2:0:1:2::/80", "2001:2:0:2:2::/80"),
                  "discard": ("2001:2:0:1:3::/80", "2001:2:0:2:3::/80")},
}
ENDPOINTS = {Family.IPV4: ("198.18.255.1", "198.19.255.1"), Family.IPV6: ("2001:2:0:ff::1", "2001:2:0:fe::1")}
ROUTES = (("198.19.0.0/16", UNPROTECTED_PORT), ("198.18.0.0/16", PROTECTED_PORT),
          ("2001:2:0:2::/64", UNPROTECTED_PORT), ("2001:2:0:fe::/64", UNPROTECTED_PORT),
          ("2001:2:0:1::/64", PROTECTED_PORT))
_PRIORITY = {"protect": 10, "bypass": 20, "discard": 30}


@dataclass(frozen=True)
class PresetName:
    """A parsed preset name."""

    layout: str
    aead: str | None
    cipher: str | None
    auth: str | None
    esn: bool = False
    window: int = 0
    sa_type: SaType = SaType.NO_OFFLOAD
    legacy: bool = False

    @property
    def canonical(self) -> str:
        parts = [self.layout]
        if self.aead is not None:
            parts.append(_token_of(AEAD_TOKENS, self.aead))
        else:
            parts += [_token_of(CIPHER_TOKENS, str(self.cipher)), _token_of(AUTH_TOKENS, str(self.auth))]
        if self.esn:
            parts.append("esn")
        if self.window:
            parts.append(f"w{self.window}")
        parts += [t for t, v in TYPE_TOKENS.items() if v is self.sa_type]
        if self.legacy:
            parts.append("legacy")
        return "-".join(parts)


def _token_of(table: dict[str, str], keyword: str) -> str:
    return next(t for t, kw in table.items() if kw == keyword)


def parse_preset_name(name: str) -> PresetName:
    """Parse ``name``; ValueError saying which part is wrong and what is allowed."""
    parts = name.split("-")
    if parts[0] not in LAYOUTS:
        raise ValueError(f"preset {name!r}: layout {parts[0]!r} must be one of {sorted(LAYOUTS)}")
    if len(parts) < 2:
        raise ValueError(f"preset {name!r}: missing algorithm after {parts[0]!r}")
    aead = cipher = auth = None
    rest = parts[2:]
    if parts[1] in AEAD_TOKENS:
        aead = AEAD_TOKENS[parts[1]]
    elif parts[1] in CIPHER_TOKENS:
        cipher = CIPHER_TOKENS[parts[1]]
        if not rest or rest[0] not in AUTH_TOKENS:
            got = rest[0] if rest else "nothing"
            raise ValueError(f"preset {name!r}: cipher {parts[1]!r} must be followed by an auth token "
                             f"{sorted(AUTH_TOKENS)}, got {got!r}")
        auth, rest = AUTH_TOKENS[rest[0]], rest[1:]
    else:
        raise ValueError(f"preset {name!r}: algorithm {parts[1]!r} must be an AEAD token {sorted(AEAD_TOKENS)} "
                         f"or a cipher token {sorted(CIPHER_TOKENS)}")
    fields: dict[str, object] = {}
    for tok in rest:
        if tok == "esn":
            fields["esn"] = True
        elif re.fullmatch(r"w[1-9][0-9]*", tok):
            fields["window"] = int(tok[1:])
        elif tok in TYPE_TOKENS:
            fields["sa_type"] = TYPE_TOKENS[tok]
        elif tok == "legacy":
            fields["legacy"] = True
        else:
            raise ValueError(f"preset {name!r}: unknown modifier {tok!r} (allowed: esn, wN, cpu, inline, legacy)")
    parsed = PresetName(parts[0], aead, cipher, auth, **fields)  # type: ignore[arg-type]
    if parsed.canonical != name:
        raise ValueError(f"preset {name!r}: modifiers out of order; the canonical name is {parsed.canonical!r}")
    return parsed


def derive_key(name: str, label: str, length: int) -> bytes:
    """``length`` bytes of SHA-256(name|label|counter) blocks: reproducible per preset."""
    out = b"".join(hashlib.sha256(f"{name}|{label}|{i}".encode()).digest() for i in range(length // 32 + 1))
    return out[:length]


def _sa_spec(p: PresetName, name: str, spi: int, direction: Direction) -> EspSaSpec:
    mode, _, outer = LAYOUTS[p.layout]
    label = direction.value
    keys: dict[str, object] = {}
    if p.aead is not None:
        keys = {"aead": p.aead, "aead_key": derive_key(name, f"{label}-aead", AEADS[p.aead].key_len)}
    else:
        assert p.cipher is not None and p.auth is not None
        keys = {"cipher": p.cipher, "cipher_key": derive_key(name, f"{label}-cipher", CIPHERS[p.cipher].key_len),
                "auth": p.auth, "auth_key": derive_key(name, f"{label}-auth", AUTHS[p.auth].key_len)}
    src = dst = None
    if mode is EspMode.TUNNEL:
        gw, peer = (ipaddress.ip_address(a) for a in ENDPOINTS[outer])
        src, dst = (gw, peer) if direction is Direction.OUT else (peer, gw)
    return EspSaSpec(spi=spi, mode=mode, tunnel_src=src, tunnel_dst=dst, esn=p.esn, **keys)  # type: ignore[arg-type]


def _policies(inner: Family) -> tuple[Policy, ...]:
    out: list[Policy] = []
    for purpose, (prot, remote) in FLOWS[inner].items():
        action = PolicyAction(purpose)
        for direction, src, dst, spi in ((Direction.OUT, prot, remote, SPI_OUT), (Direction.IN, remote, prot, SPI_IN)):
            out.append(Policy(inner, direction, action, spi if action is PolicyAction.PROTECT else None,
                              _PRIORITY[purpose], ipaddress.ip_network(src), ipaddress.ip_network(dst)))
    return tuple(out)


def build_preset(name: str) -> Scenario:
    """The scenario named ``name`` (see the module docstring for the grammar)."""
    p = parse_preset_name(name)
    algos = {a for a in (p.aead, p.cipher, p.auth) if a is not None}
    if algos & LEGACY_ONLY and not p.legacy:
        raise ValueError(f"preset {name!r}: {', '.join(sorted(algos & LEGACY_ONLY))} needs the legacy engine: "
                         f"append '-legacy'")
    if p.legacy and (p.esn or p.window):
        raise ValueError(f"preset {name!r}: the legacy engine has no ESN or anti-replay; drop esn/wN")
    _, inner, _ = LAYOUTS[p.layout]
    port_id = UNPROTECTED_PORT if p.sa_type.needs_port else None
    sas = [SecurityAssociation(d, _sa_spec(p, name, spi, d), inner, p.sa_type, port_id)
           for d, spi in ((Direction.OUT, SPI_OUT), (Direction.IN, SPI_IN))]
    ports = (Port.with_defaults(UNPROTECTED_PORT, PortRole.UNPROTECTED), Port.with_defaults(PROTECTED_PORT, PortRole.PROTECTED))
    return Scenario(
        name=name,
        description=f"preset {name}: {sas[0].spec.algorithm_label}, {p.layout}",
        ports=ports,
        tunnels=(Tunnel("main", sas[0], sas[1]),),
        policies=_policies(inner),
        routes=tuple(Route(ipaddress.ip_network(pfx), port) for pfx, port in ROUTES),
        neighbours=tuple(Neighbour(port.id, port.tester_mac) for port in ports),
        options=GatewayOptions(p.window, p.esn, Engine.LEGACY if p.legacy else Engine.LIBRARY),
    )


get_preset = build_preset

CURATED: tuple[str, ...] = (
    *(f"tun44-{t}" for t in ("aes128gcm", "aes192gcm", "aes256gcm", "aes128ccm", "aes192ccm", "aes256ccm", "chacha20")),
    "tun44-null-sha256", "tun44-aes128cbc-sha1", "tun44-aes128cbc-sha256", "tun44-aes192cbc-sha384",
    "tun44-aes256cbc-sha512", "tun44-aes128ctr-sha1", "tun44-aes192ctr-sha256", "tun44-aes256ctr-sha256",
    "tun44-3descbc-sha256", "tun44-descbc-sha1-legacy", "tun44-sm4cbc-sm3-legacy", "tun44-null-gmac",
    "tun44-aes128cbc-xcbc",
    "tun66-aes128gcm", "tun46-aes128gcm", "tun64-aes128gcm", "trs4-aes128gcm", "trs6-aes128gcm", "trs6-chacha20",
    "tun66-aes256gcm", "trs4-aes128cbc-sha256", "tun64-aes128cbc-sha256",
    "tun44-aes128gcm-w64", "tun44-aes128gcm-esn-w64", "tun44-aes128gcm-w1024", "tun66-aes256cbc-sha256-esn-w64",
    "trs4-aes128cbc-sha256-esn-w128", "tun44-aes128gcm-cpu", "tun44-aes128gcm-inline", "tun44-aes128gcm-legacy",
)


def list_presets() -> tuple[str, ...]:
    """The curated default list (each secgw algorithm keyword at least once, every layout,
    ESN, replay windows, SA types, both engines)."""
    return CURATED


MATRIX_ALGOS: tuple[str, ...] = (
    *AEAD_TOKENS, "null-sha256", "null-gmac", "aes128cbc-xcbc", "3descbc-sha256",
    *(f"aes{b}cbc-{h}" for b in (128, 192, 256) for h in ("sha1", "sha256", "sha384", "sha512")),
    *(f"aes{b}ctr-{h}" for b in (128, 192, 256) for h in ("sha1", "sha256")),
)
LEGACY_MATRIX_ALGOS: tuple[str, ...] = ("descbc-sha1", "sm4cbc-sm3")


def matrix_names() -> tuple[str, ...]:
    """The full matrix: every layout × algorithm × ESN on/off × replay window off/64, plus the
    legacy-only algorithms on the legacy engine."""
    names = [f"{lay}-{alg}{esn}{win}" for lay in LAYOUTS for alg in MATRIX_ALGOS
             for esn in ("", "-esn") for win in ("", "-w64")]
    names += [f"{lay}-{alg}-legacy" for lay in LAYOUTS for alg in LEGACY_MATRIX_ALGOS]
    return tuple(names)
