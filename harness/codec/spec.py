"""ESP SA description for the harness codec (RFC 4303 §2; ESN §2.2.1; UDP encapsulation
RFC 3948 §2.1) and the per-packet knobs of the encoder (outer header fields, corruption)."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Any

from harness.codec.algorithms import AEADS, AUTHS, CIPHERS, AuthKind, CipherMode, lookup
from harness.codec.addresses import IPAddress


class EspMode(str, enum.Enum):
    """ESP mode (RFC 4301 §4.1)."""

    TUNNEL = "tunnel"
    TRANSPORT = "transport"


def _check_key(what: str, keyword: str, key: bytes, expected: int) -> None:
    if len(key) != expected:
        raise ValueError(f"{what} key for {keyword!r} must be {expected} bytes, got {len(key)}")


@dataclass(frozen=True)
class EspSaSpec:
    """One ESP SA as the harness sees it. Keys are the cfg bytes (salt/nonce included).

    Either ``aead`` (then ``cipher``/``auth`` stay None) or both ``cipher`` and ``auth`` (each
    may be "null"). ``esn`` means 64-bit sequence numbers whose high half enters the ICV/AAD
    but is not sent. ``udp_encap`` = (sport, dport) of the RFC 3948 UDP header.
    """

    spi: int
    mode: EspMode | str
    cipher: str | None = None
    cipher_key: bytes = b""
    auth: str | None = None
    auth_key: bytes = b""
    aead: str | None = None
    aead_key: bytes = b""
    tunnel_src: IPAddress | None = None
    tunnel_dst: IPAddress | None = None
    esn: bool = False
    udp_encap: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "mode", EspMode(self.mode))
        except ValueError:
            raise ValueError(f"mode must be 'tunnel' or 'transport', got {self.mode!r}") from None
        if not 0 <= self.spi <= 0xFFFFFFFF:
            raise ValueError(f"spi {self.spi} is not a 32-bit value")
        self._check_algorithms()
        self._check_endpoints()
        if self.udp_encap is not None:
            if len(self.udp_encap) != 2 or not all(0 <= p <= 0xFFFF for p in self.udp_encap):
                raise ValueError(f"udp_encap must be (sport, dport) ports, got {self.udp_encap!r}")
            object.__setattr__(self, "udp_encap", tuple(self.udp_encap))

    def _check_algorithms(self) -> None:
        if self.aead is not None:
            if self.cipher is not None or self.auth is not None:
                raise ValueError("an AEAD SA takes no cipher/auth algorithm")
            _check_key("aead", self.aead, self.aead_key, lookup(AEADS, self.aead, "aead").key_len)
            return
        if self.cipher is None or self.auth is None:
            raise ValueError("need either aead, or both cipher and auth (use 'null' for none)")
        cinfo = lookup(CIPHERS, self.cipher, "cipher")
        ainfo = lookup(AUTHS, self.auth, "auth")
        _check_key("cipher", self.cipher, self.cipher_key, cinfo.key_len)
        _check_key("auth", self.auth, self.auth_key, ainfo.key_len)
        if ainfo.kind is AuthKind.GMAC and cinfo.mode is not CipherMode.NULL:
            raise ValueError("aes-gmac is integrity-only (RFC 4543): use cipher 'null' with it")

    def _check_endpoints(self) -> None:
        src, dst = self.tunnel_src, self.tunnel_dst
        if self.mode is EspMode.TRANSPORT:
            if src is not None or dst is not None:
                raise ValueError("transport SAs take no tunnel_src/tunnel_dst")
            return
        if src is None or dst is None:
            raise ValueError("tunnel SAs need tunnel_src and tunnel_dst")
        src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
        if src.version != dst.version:
            raise ValueError(f"tunnel_src {src} and tunnel_dst {dst} are of different IP versions")
        object.__setattr__(self, "tunnel_src", src)
        object.__setattr__(self, "tunnel_dst", dst)

    @property
    def algorithm_label(self) -> str:
        """Short readable label such as ``aes-128-gcm`` or ``aes-128-cbc+sha256-hmac``."""
        return self.aead if self.aead is not None else f"{self.cipher}+{self.auth}"

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (keys hex, addresses text); ``from_json`` reverses it."""
        return {
            "spi": self.spi, "mode": EspMode(self.mode).value,
            "cipher": self.cipher, "cipher_key": self.cipher_key.hex(),
            "auth": self.auth, "auth_key": self.auth_key.hex(),
            "aead": self.aead, "aead_key": self.aead_key.hex(),
            "tunnel_src": None if self.tunnel_src is None else str(self.tunnel_src),
            "tunnel_dst": None if self.tunnel_dst is None else str(self.tunnel_dst),
            "esn": self.esn,
            "udp_encap": None if self.udp_encap is None else list(self.udp_encap),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EspSaSpec:
        """Inverse of ``to_json``; errors name the offending field."""
        try:
            return cls(
                spi=int(data["spi"]), mode=data["mode"],
                cipher=data.get("cipher"), cipher_key=bytes.fromhex(data.get("cipher_key") or ""),
                auth=data.get("auth"), auth_key=bytes.fromhex(data.get("auth_key") or ""),
                aead=data.get("aead"), aead_key=bytes.fromhex(data.get("aead_key") or ""),
                tunnel_src=None if data.get("tunnel_src") is None else ipaddress.ip_address(data["tunnel_src"]),
                tunnel_dst=None if data.get("tunnel_dst") is None else ipaddress.ip_address(data["tunnel_dst"]),
                esn=bool(data.get("esn", False)),
                udp_encap=None if data.get("udp_encap") is None else tuple(data["udp_encap"]),
            )
        except KeyError as exc:
            raise ValueError(f"EspSaSpec JSON lacks field {exc.args[0]!r}") from None


@dataclass(frozen=True)
class OuterFields:
    """Outer tunnel header fields. ``tos`` None copies the inner TOS/traffic class (DSCP and
    ECN, RFC 4301 §5.1.2.1 default); IPv4 default DF set with ID 0 (atomic datagram, RFC 6864
    §4); hop limit / TTL 64; flow label 0."""

    tos: int | None = None
    ttl: int = 64
    ident: int = 0
    df: bool = True
    flow_label: int = 0


class EspField(enum.Enum):
    """Parts of an ESP packet a test may corrupt after it was sealed (each breaks the ICV)."""

    SPI = "spi"
    SEQ = "seq"
    IV = "iv"
    CIPHERTEXT = "ciphertext"
    ICV = "icv"


@dataclass(frozen=True)
class Corruption:
    """Deliberate damage for negative tests.

    ``flip``: XOR ``mask`` into byte ``index`` of that field after sealing (ICV becomes bad).
    ``pad_len_field``: write this Pad Length value in the trailer *before* sealing (valid ICV,
    wrong trailer, RFC 4303 §2.4 checks). ``truncate``: drop that many bytes from the end.
    """

    flip: EspField | None = None
    index: int = 0
    mask: int = 0x01
    pad_len_field: int | None = None
    truncate: int = 0
