"""The crypto operation handed from an ESP *prepare* step to a placement and back to *finish*.

``run`` does only the crypto (seal or open) with the inputs prepare stored, and records the
result and a success flag; it touches no SA runtime state, so a lookaside worker thread may run
it while the datapath prepares the next burst.
"""
from __future__ import annotations

from typing import Any


class CryptoOp:
    """One packet's crypto job. Slots are filled by ``esp.outbound``/``esp.inbound``.

    ``sa``: the EspSa; ``fn``: the transform's seal/open; ``hdr``: ESP header (8 bytes);
    ``hi``: ESN high 32 bits (4 bytes, or b""); ``iv``; ``data``: plaintext (encrypt) or
    ciphertext||ICV (decrypt); ``out``/``ok``: result; ``seq``: full 64-bit sequence number;
    ``l3``: the packet given to prepare; ``off``/``nh_off``: ESP offset and the offset of the
    next-header byte to rewrite (inbound).
    """

    __slots__ = ("sa", "fn", "hdr", "hi", "iv", "data", "out", "ok", "seq", "l3", "off", "nh_off")

    sa: Any
    out: bytes | None
    ok: bool

    def run(self) -> None:
        try:
            out = self.fn(self.hdr, self.hi, self.iv, self.data)
        except Exception:  # the crypto library refused the input: report, never raise
            out = None
        self.out = out
        self.ok = out is not None

    @property
    def outbound(self) -> bool:
        return self.fn is self.sa.transform.seal

    def __repr__(self) -> str:
        state = "done" if hasattr(self, "ok") else "pending"
        return f"<CryptoOp spi={self.sa.params.spi} seq={self.seq} {state}>"
