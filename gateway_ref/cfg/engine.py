"""The two secgw processing engines and what each accepts (secgw-reference.md section 0).

``library`` (secgw ``-l``, librte_ipsec) is the default; ``legacy`` is the app's own ESP code.
"""
from __future__ import annotations

import enum

from gateway_ref.proto.algorithms import Algorithm


class Engine(enum.Enum):
    LIBRARY = "library"
    LEGACY = "legacy"


def engine_from_name(name: str) -> Engine:
    """``"library"``/``"legacy"`` -> Engine; anything else is a programming error (ValueError)."""
    try:
        return Engine(name)
    except ValueError:
        allowed = ", ".join(e.value for e in Engine)
        raise ValueError(f"unknown engine {name!r}; expected one of: {allowed}") from None


def unsupported_reason(algorithm: Algorithm, engine: Engine) -> str | None:
    """Why ``engine`` cannot run ``algorithm``, or None when it can."""
    if engine is Engine.LIBRARY and not algorithm.library:
        return (f"{algorithm.keyword} is not supported by the library engine (secgw rejects it "
                "in rte_ipsec_sa_init); use --engine legacy")
    if engine is Engine.LEGACY and not algorithm.legacy:
        return (f"{algorithm.keyword} is not supported by the legacy engine; "
                "use --engine library")
    return None
