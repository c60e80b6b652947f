"""The four ESP entry points the datapath calls, bundled so nodes bind them as locals.

They come from ``gateway_ref.esp`` (``encrypt_prepare``/``encrypt_finish`` outbound,
``decrypt_prepare``/``decrypt_finish`` inbound); ``prepare`` returns a CryptoOp with a
thread-safe ``run()`` or a DropReason, ``finish`` the packet or a DropReason.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EspOps:
    encrypt_prepare: Callable[[Any, bytes], Any]
    encrypt_finish: Callable[[Any], Any]
    decrypt_prepare: Callable[[Any, bytes], Any]
    decrypt_finish: Callable[[Any], Any]
