"""Byte-level checks of the ESP header, trailer and ICV of a packet the DUT encrypted.

RFC 4303 §2.1 (SPI, E1), §2.4 (padding contents E10, alignment E11, pad length E12), §2.6 (next
header), §3.3 (ICV computed over the right bytes: the algorithm's RFC is cited, e.g. RFC 4106
§5 for the AAD of GCM). Sequence numbers and IV uniqueness are long-run properties: see
``invariants``.

Transport mode over IPv6 (RFC 4303 §3.1.1, RFC 8200 §4.1): ESP must follow the hop-by-hop,
routing and fragment headers (ESP-POS: encrypted, they could not be processed by the nodes
they are meant for); destination options may come before or after ESP. When the decrypted
payload starts with destination options and then the expected protocol, the RFC is met; secgw
puts ESP after *all* extension headers (secgw-reference.md §3.6), so a profile that models it
reports the other placement as SG-ESP-AFTER-EXT.
"""
from __future__ import annotations

from typing import Any

from harness.codec.ipv6 import EXTENSION_HEADERS, walk_extensions
from harness.codec.spec import EspMode, EspSaSpec
from harness.verify.esp_open import problem_names
from harness.verify.expectations import Encrypt
from harness.verify.findings import Finding, PacketRef, make_finding
from harness.verify.ipview import EXT_NAMES, chain_names
from harness.verify.profiles import Profile

_BEFORE_ESP = frozenset((0, 43, 44))  # hop-by-hop, routing, fragment: RFC 4303 §3.1.1
_DEST_OPTS = 60
_ICV_REQUIREMENT = {"aes-128-gcm": "G2", "aes-192-gcm": "G2", "aes-256-gcm": "G2",
                    "chacha20-poly1305": "G9", "aes-gmac": "G5", "sha256-hmac": "G7",
                    "sha384-hmac": "G7", "sha512-hmac": "G7"}


def icv_requirement(spec: EspSaSpec) -> str:
    """The requirement an ICV mismatch on this SA breaks (the algorithm's RFC when we have one)."""
    keyword = spec.aead or spec.auth or ""
    return _ICV_REQUIREMENT.get(keyword, "E9")


def check_esp(exp: Encrypt, spi: int, decoded: Any, profile: Profile, ref: PacketRef,
              frame: bytes) -> list[Finding]:
    """SPI, ICV, padding, alignment and next header of a decoded egress ESP packet."""
    out: list[Finding] = []
    name = profile.name
    if spi < 256:
        out.append(make_finding("E1", name, ref, "esp.spi", ">= 256", spi, frame=frame))
    if spi != exp.spec.spi:
        out.append(make_finding("A1", name, ref, "esp.spi", exp.spec.spi, spi, frame=frame,
                                detail="packet encrypted on an SA other than the one the policy names"))
        return out
    problems = problem_names(decoded)
    if not decoded.icv_ok:
        out.append(make_finding(icv_requirement(exp.spec), name, ref, "esp.icv", "valid ICV",
                                decoded.icv.hex(), frame=frame, detail=f"{exp.spec.algorithm_label}"))
        return out  # nothing decrypted can be trusted
    if "alignment" in problems:
        out.append(make_finding("E11", name, ref, "esp.ciphertext_length", "multiple of the alignment",
                                len(decoded.plaintext), frame=frame))
    if "pad-length" in problems:
        out.append(make_finding("E12", name, ref, "esp.pad_length", f"<= {len(decoded.plaintext) - 2}",
                                decoded.pad_len, frame=frame))
        return out
    if "pad-bytes" in problems:
        expected = bytes(range(1, decoded.pad_len + 1))
        out.append(make_finding("E10", name, ref, "esp.padding", expected.hex(), decoded.padding.hex(),
                                expected_bytes=expected, observed_bytes=decoded.padding, frame=frame))
    if decoded.next_header != exp.next_header:
        out += _next_header_findings(exp, decoded, profile, ref, frame)
    return out


def _next_header_findings(exp: Encrypt, decoded: Any, profile: Profile, ref: PacketRef,
                          frame: bytes) -> list[Finding]:
    """The ESP next header names something else than the original protocol: in transport mode
    an extension header inside the encrypted payload is judged by its kind (module docstring)."""
    name, nh = profile.name, decoded.next_header
    if exp.spec.mode is EspMode.TRANSPORT and nh in EXTENSION_HEADERS:
        body = decoded.plaintext[:len(decoded.plaintext) - 2 - decoded.pad_len]
        headers, upper, _off, _at, truncated = walk_extensions(body, 0, nh, -1)
        early = [EXT_NAMES[kind] for kind, _, _ in headers if kind in _BEFORE_ESP]
        if early:
            return [make_finding("ESP-POS", name, ref, "esp.position", "after hop-by-hop, routing and fragment",
                                 f"before {', '.join(early)}", frame=frame,
                                 detail=f"encrypted after ESP: {chain_names(headers)}")]
        if not truncated and upper == exp.next_header and all(kind == _DEST_OPTS for kind, _, _ in headers):
            if not profile.esp_after_all_extensions:
                return []
            return [make_finding("SG-ESP-AFTER-EXT", name, ref, "esp.position", "after all extension headers",
                                 "before destination options", frame=frame)]
    return [make_finding("ESP-NH", name, ref, "esp.next_header", exp.next_header, nh, frame=frame)]
