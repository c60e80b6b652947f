"""ESP (RFC 4303) for the reference gateway: SA state, encapsulation, decapsulation, anti-replay.

Public API (what the datapath and the crypto placements call)::

    make_sa(rule, inner_family, *, replay_window, esn, engine) -> EspSa
    encrypt_prepare(sa, l3) -> CryptoOp | DropReason
    CryptoOp.run() -> None                       # crypto only; safe on a worker thread
    encrypt_finish(op) -> bytes | DropReason     # the outer IP packet
    decrypt_prepare(sa, l3) -> CryptoOp | DropReason
    decrypt_finish(op) -> tuple[bytes, Family] | DropReason
    esp_encrypt(sa, l3, *, seq=None, iv=None) / esp_decrypt(sa, l3)   # prepare+run+finish
    esp_decrypt_burst(sa, l3s) -> list[...]      # every prepare+run, then every finish

Semantics follow secgw's library engine (``Engine.LIBRARY``) or its legacy path
(``Engine.LEGACY``); see ``sa.py`` for the list of deliberate deviations.

May import: the standard library, ``cryptography``, ``gateway_ref.cfg.records``,
``gateway_ref.cfg.errors``, ``gateway_ref.cfg.engine``, ``gateway_ref.proto``, ``gateway_ref.crypto.transforms*``,
``gateway_ref.datapath.drops``. Never ``datapath`` nodes, ``tables``, ``run`` or ``harness``.
"""
from gateway_ref.esp.api import (
    decrypt_finish,
    decrypt_prepare,
    encrypt_finish,
    encrypt_prepare,
    esp_decrypt,
    esp_decrypt_burst,
    esp_encrypt,
)
from gateway_ref.esp.op import CryptoOp
from gateway_ref.esp.sa import Engine, EspSa, EspSaParams, EspSaRuntime, make_sa

__all__ = [
    "CryptoOp", "Engine", "EspSa", "EspSaParams", "EspSaRuntime", "make_sa",
    "encrypt_prepare", "encrypt_finish", "decrypt_prepare", "decrypt_finish",
    "esp_encrypt", "esp_decrypt", "esp_decrypt_burst",
]
