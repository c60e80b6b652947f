"""Which placement executes an SA's crypto, derived from the SA's cfg ``type``.

secgw-reference.md 3.10: ``no-offload`` is a lookaside cryptodev (asynchronous enqueue and
dequeue); ``cpu-crypto`` is synchronous on the CPU; ``inline-crypto-offload`` has the NIC
encrypt at TX / decrypt at RX while the software builds and checks headers;
``inline-protocol-offload`` has the NIC do all of ESP; ``lookaside-protocol-offload`` submits
the plain packet to a crypto device that does all of ESP: we run it in the lookaside engine
as one job (prepare, crypto and finish together), so it keeps the engine's asynchrony.
"""
from __future__ import annotations

import enum

from gateway_ref.cfg.records import OffloadType


class Placement(enum.Enum):
    CPU = "cpu"  # op.run() inline in the graph
    LOOKASIDE = "lookaside"  # ops through the lookaside engine thread
    LOOKASIDE_PROTOCOL = "lookaside-protocol"  # whole ESP as one job in the lookaside engine
    INLINE_CRYPTO = "inline-crypto"  # the port runs the op at RX / just before TX
    INLINE_PROTOCOL = "inline-protocol"  # the port does all of ESP

    @property
    def is_inline(self) -> bool:
        return self in (Placement.INLINE_CRYPTO, Placement.INLINE_PROTOCOL)


_BY_TYPE = {
    OffloadType.CPU_CRYPTO: Placement.CPU,
    OffloadType.NO_OFFLOAD: Placement.LOOKASIDE,
    OffloadType.LOOKASIDE_PROTOCOL: Placement.LOOKASIDE_PROTOCOL,
    OffloadType.INLINE_CRYPTO: Placement.INLINE_CRYPTO,
    OffloadType.INLINE_PROTOCOL: Placement.INLINE_PROTOCOL,
}


def placement_for(sa_type: OffloadType) -> Placement:
    """Map a cfg SA ``type`` to its placement (every OffloadType has one)."""
    return _BY_TYPE[sa_type]
