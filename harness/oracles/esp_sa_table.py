"""Wireshark's ESP SA table (the ``esp_sa`` UAT): one CSV record of eight quoted fields per
SA — protocol, source, destination, SPI, encryption, encryption key, authentication,
authentication key — with the exact algorithm display strings of Wireshark 4.0 (see the
shared conformance notes §6). Key cells are 0x-hex, key ‖ salt/nonce for GCM and CTR.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.codec.spec import EspSaSpec

WIRESHARK_CIPHERS: dict[str, str] = {
    "null": "NULL",
    "aes-128-cbc": "AES-CBC [RFC3602]", "aes-192-cbc": "AES-CBC [RFC3602]", "aes-256-cbc": "AES-CBC [RFC3602]",
    "aes-128-ctr": "AES-CTR [RFC3686]", "aes-192-ctr": "AES-CTR [RFC3686]", "aes-256-ctr": "AES-CTR [RFC3686]",
    "3des-cbc": "TripleDES-CBC [RFC2451]",
    "des-cbc": "DES-CBC [RFC2405]",
}
WIRESHARK_AEADS: dict[str, str] = {
    "aes-128-gcm": "AES-GCM with 16 octet ICV [RFC4106]",
    "aes-192-gcm": "AES-GCM with 16 octet ICV [RFC4106]",
    "aes-256-gcm": "AES-GCM with 16 octet ICV [RFC4106]",
}
#: integrity algorithms Wireshark verifies
WIRESHARK_AUTHS: dict[str, str] = {
    "null": "NULL",
    "sha1-hmac": "HMAC-SHA-1-96 [RFC2404]",
    "sha256-hmac": "HMAC-SHA-256-128 [RFC4868]",
    "sha384-hmac": "HMAC-SHA-384-192 [RFC4868]",
    "sha512-hmac": "HMAC-SHA-512-256 [RFC4868]",
}
#: integrity algorithms Wireshark can only skip (ICV length known, not checked)
WIRESHARK_SKIP_AUTHS: dict[str, str] = {
    "aes-xcbc-mac-96": "ANY 96 bit authentication [no checking]",
    "sm3-hmac": "ANY 96 bit authentication [no checking]",
}


@dataclass(frozen=True)
class TsharkCapability:
    """What tshark can check for one SA: ``decrypt`` (payload and trailer dissected) and
    ``icv`` (icv_good/icv_bad meaningful). ``reason`` explains each missing check. Padding
    contents are never checked by tshark."""

    decrypt: bool
    icv: bool
    reason: str


def tshark_capability(spec: EspSaSpec) -> TsharkCapability:
    """Checks tshark 4.0 can make for ``spec`` (no ChaCha20, CCM, GMAC, SM4; no ESN column,
    so no ICV check with ESN; XCBC/SM3 ICVs only skipped)."""
    if spec.aead is not None:
        if spec.aead not in WIRESHARK_AEADS:
            return TsharkCapability(False, False, f"Wireshark has no {spec.aead}")
        if spec.esn:
            return TsharkCapability(True, False, "esp_sa has no ESN column: AAD lacks the high bits")
        return TsharkCapability(True, True, "")
    if spec.cipher not in WIRESHARK_CIPHERS:
        return TsharkCapability(False, False, f"Wireshark has no {spec.cipher}")
    if spec.auth in WIRESHARK_SKIP_AUTHS:
        return TsharkCapability(True, False, f"Wireshark cannot verify {spec.auth} (skipped)")
    if spec.auth not in WIRESHARK_AUTHS:
        return TsharkCapability(False, False, f"Wireshark has no {spec.auth}")
    if spec.esn and spec.auth != "null":
        return TsharkCapability(True, False, "esp_sa has no ESN column: ICV lacks the high bits")
    if spec.auth == "null":
        return TsharkCapability(True, False, "no integrity algorithm")
    return TsharkCapability(True, True, "")


def esp_sa_record(spec: EspSaSpec, src: str | None = None, dst: str | None = None) -> str | None:
    """One ``esp_sa`` line for ``spec`` (None when Wireshark cannot decrypt it). Addresses
    default to the tunnel endpoints, or ``*`` for transport SAs."""
    if not tshark_capability(spec).decrypt:
        return None
    if spec.tunnel_src is not None and spec.tunnel_dst is not None:
        src = src or str(spec.tunnel_src)
        dst = dst or str(spec.tunnel_dst)
        proto = "IPv4" if spec.tunnel_src.version == 4 else "IPv6"
    else:
        addr = src or dst
        proto = "IPv6" if addr is not None and ":" in addr else "IPv4"
    if spec.aead is not None:
        cells = [WIRESHARK_AEADS[spec.aead], "0x" + spec.aead_key.hex(), "NULL", ""]
    else:
        auth = WIRESHARK_AUTHS.get(spec.auth or "", WIRESHARK_SKIP_AUTHS.get(spec.auth or ""))
        cells = [WIRESHARK_CIPHERS[spec.cipher or "null"], "0x" + spec.cipher_key.hex() if spec.cipher_key else "",
                 auth or "NULL", "0x" + spec.auth_key.hex() if spec.auth_key else ""]
    fields = [proto, src or "*", dst or "*", f"0x{spec.spi:08x}", *cells]
    return ",".join(f'"{f}"' for f in fields)


SaEntry = EspSaSpec | tuple[EspSaSpec, str, str]


def esp_sa_records(entries: Iterable[SaEntry]) -> list[str]:
    """Records for every SA Wireshark can decrypt; entries are specs or (spec, src, dst)."""
    out = []
    for entry in entries:
        spec, src, dst = (entry, None, None) if isinstance(entry, EspSaSpec) else entry
        record = esp_sa_record(spec, src, dst)
        if record is not None:
            out.append(record)
    return out


def write_esp_sa(entries: Iterable[SaEntry], path: str | Path) -> Path:
    """Write an ``esp_sa`` UAT file (put it in a Wireshark profile directory, e.g.
    ``~/.config/wireshark/esp_sa``, so a capture opens decrypted)."""
    path = Path(path)
    path.write_text("# This file is automatically generated, DO NOT MODIFY.\n"
                    + "".join(r + "\n" for r in esp_sa_records(entries)))
    return path
