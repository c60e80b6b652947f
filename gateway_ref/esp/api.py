"""The ESP entry points other packages call (see the package docstring for the contract).

Each function is a thin dispatch to the SA's specialised closure; the convenience functions
``esp_encrypt``/``esp_decrypt`` run prepare, crypto and finish in one go, and ``esp_encrypt``
accepts an explicit sequence number and IV to reproduce known-answer vectors.
"""
from __future__ import annotations

from gateway_ref.cfg.records import Family
from gateway_ref.datapath.drops import DropReason
from gateway_ref.esp.op import CryptoOp
from gateway_ref.esp.outbound import prepare_with
from gateway_ref.esp.sa import EspSa


def encrypt_prepare(sa: EspSa, l3: bytes) -> CryptoOp | DropReason:
    """Assign the next sequence number and IV, pad; L3 is the inner IP packet, trimmed."""
    return sa.enc_prepare(l3)


def encrypt_finish(op: CryptoOp) -> bytes | DropReason:
    """The outer IP packet (tunnel or transport, UDP-encapsulated when the SA says so)."""
    return op.sa.enc_finish(op)


def decrypt_prepare(sa: EspSa, l3: bytes) -> CryptoOp | DropReason:
    """Locate ESP in the received outer packet L3, check lengths and the replay window."""
    return sa.dec_prepare(l3)


def decrypt_finish(op: CryptoOp) -> tuple[bytes, Family] | DropReason:
    """Verify the result, re-check and advance the window, check the trailer, decapsulate."""
    return op.sa.dec_finish(op)


def esp_encrypt(sa: EspSa, l3: bytes, *, seq: int | None = None,
                iv: bytes | None = None) -> bytes | DropReason:
    """Prepare, run and finish in one call. SEQ/IV force the next sequence number and the IV
    (known-answer tests); SEQ also moves the SA's counter there."""
    if seq is None and iv is None:
        return sa.enc_sync(l3)  # type: ignore[no-any-return]
    op = prepare_with(sa, l3, seq, iv)
    if op.__class__ is DropReason:
        return op  # type: ignore[return-value]
    op.run()  # type: ignore[union-attr]
    return sa.enc_finish(op)


def esp_decrypt(sa: EspSa, l3: bytes) -> tuple[bytes, Family] | DropReason:
    """Prepare, run and finish in one call."""
    return sa.dec_sync(l3)  # type: ignore[no-any-return]


def esp_decrypt_burst(sa: EspSa, l3s: list[bytes]) -> list[tuple[bytes, Family] | DropReason]:
    """A burst of this SA's packets: every prepare and crypto, then every finish in order (the
    datapath's ``esp-decrypt``), fused where the SA allows."""
    return sa.dec_burst(l3s)  # type: ignore[no-any-return]
