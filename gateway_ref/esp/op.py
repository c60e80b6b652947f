"""The crypto operation handed from an ESP *prepare* step to a placement and back to *finish*.

``run`` does only the crypto (seal or open) with the inputs prepare stored, and records the
result and a success flag; it touches no SA runtime state, so a lookaside worker thread may run
it while the datapath prepares the next burst.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway_ref.datapath.drops import DropReason


class CryptoOp:
    """One packet's crypto job. Slots are filled by ``esp.outbound``/``esp.inbound``.

    ``sa``: the EspSa; ``fn``: the transform's seal/open; ``x``: salt || IV (the nonce);
    ``data``: plaintext (encrypt) or ciphertext||ICV (decrypt); ``aad``: SPI || seq_lo, or
    SPI || seq_hi || seq_lo with ESN; ``iv``: the wire IV (encrypt); ``out``/``ok``: result;
    ``seq``: full 64-bit sequence number; ``l3``: the packet given to prepare; ``off``/``nh_off``
    (inbound): where the UDP/ESP part starts and the offset of the next-header byte to rewrite.
    """

    __slots__ = ("sa", "fn", "x", "data", "aad", "iv", "out", "ok", "seq", "l3", "off", "nh_off")

    sa: Any
    out: bytes | None
    ok: bool

    def run(self) -> None:
        try:
            self.out = self.fn(self.x, self.data, self.aad)
            self.ok = True
        except Exception:  # wrong ICV (InvalidTag) or input the library refused: never raise
            self.out = None
            self.ok = False

    def __repr__(self) -> str:
        state = "done" if hasattr(self, "ok") else "pending"
        return f"<CryptoOp spi={self.sa.params.spi} seq={self.seq} {state}>"


def synchronous(prepare: Callable[[bytes], Any], finish: Callable[[CryptoOp], Any]) -> Callable[[bytes], Any]:
    """prepare, run and finish in turn: one packet's synchronous ESP, either direction (a
    DropReason from prepare is returned as it is)."""
    def whole(l3: bytes) -> Any:
        op = prepare(l3)
        if op.__class__ is DropReason:
            return op
        op.run()
        return finish(op)
    return whole
