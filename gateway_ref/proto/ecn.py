"""ECN codepoints (RFC 3168 §5) and the tunnel decapsulation rule used by secgw.

secgw (library and legacy engines) sets the inner ECN field to CE when the outer header is CE
and the inner one is ECN-capable; every other combination leaves the inner header unchanged
(no RFC 6040 drop of CE over Not-ECT, no ECT(1) propagation).
"""
from __future__ import annotations

NOT_ECT = 0
ECT1 = 1
ECT0 = 2
CE = 3


def decap_tos(outer_tos: int, inner_tos: int) -> int:
    """Inner TOS/traffic class after decapsulation (secgw rule, RFC 6040 §4.2 subset)."""
    if outer_tos & 3 == CE and inner_tos & 3 != NOT_ECT:
        return inner_tos | CE
    return inner_tos
