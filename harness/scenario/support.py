"""Which secgw engine accepts which algorithm keyword and SA type (secgw-reference.md §0, §1.3).

This is a property of DPDK ipsec-secgw, not of the RFCs, so it lives here and not in the
codec's algorithm table.
"""
from __future__ import annotations

from harness.scenario.model import Engine, SaType

LEGACY_ONLY: frozenset[str] = frozenset({"des-cbc", "sm4-cbc"})
"""Rejected by librte_ipsec (``rte_ipsec_sa_init``), so only the legacy engine runs them."""

LIBRARY_ONLY: frozenset[str] = frozenset({
    "sha384-hmac", "sha512-hmac", "aes-gmac",
    "aes-128-ccm", "aes-192-ccm", "aes-256-ccm", "chacha20-poly1305",
})
"""Only the library engine (``-l``) implements these."""


def unsupported_reason(keyword: str, engine: Engine) -> str | None:
    """Why ``engine`` cannot run the algorithm ``keyword``, or None when it can."""
    if engine is Engine.LIBRARY and keyword in LEGACY_ONLY:
        return f"{keyword} is legacy-engine only (librte_ipsec rejects it)"
    if engine is Engine.LEGACY and keyword in LIBRARY_ONLY:
        return f"{keyword} needs the library engine"
    return None


def sa_type_reason(sa_type: SaType, engine: Engine) -> str | None:
    """Why ``engine`` cannot run an SA of ``sa_type``, or None when it can."""
    if sa_type is SaType.CPU_CRYPTO and engine is Engine.LEGACY:
        return "cpu-crypto needs the library engine"
    return None
