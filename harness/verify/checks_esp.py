"""Byte-level checks of the ESP header, trailer and ICV of a packet the DUT encrypted.

RFC 4303 §2.1 (SPI, E1), §2.4 (padding contents E10, alignment E11, pad length E12), §2.6 (next
header), §3.3 (ICV computed over the right bytes: the algorithm's RFC is cited, e.g. RFC 4106
§5 for the AAD of GCM). Sequence numbers and IV uniqueness are long-run properties: see
``invariants``.
"""
from __future__ import annotations

from typing import Any

from harness.codec.spec import EspSaSpec
from harness.verify.esp_open import problem_names
from harness.verify.expectations import Encrypt
from harness.verify.findings import Finding, PacketRef, make_finding
from harness.verify.profiles import Profile

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
        out.append(make_finding("ESP-NH", name, ref, "esp.next_header", exp.next_header, decoded.next_header,
                                frame=frame))
    return out
