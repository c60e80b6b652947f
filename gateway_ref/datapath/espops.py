"""The ESP entry points the datapath calls, bundled so it does not import ``gateway_ref.esp``.

``encrypt_prepare``/``encrypt_finish``/``decrypt_prepare``/``decrypt_finish`` are
``gateway_ref.esp``'s API: ``prepare(sa, l3)`` returns a CryptoOp with a thread-safe ``run()``
or a DropReason, ``finish(op)`` the packet or a DropReason; ``encrypt(sa, l3)``/``decrypt(sa,
l3)`` do all three for one packet (synchronous placements, protocol offloads);
``decrypt_burst(sa, l3s)`` decrypts a burst of one SA's packets with ``esp-decrypt``'s
semantics (every prepare and crypto, then every finish in order). ``bind(sa, outbound)`` may
return the SA's own (prepare(l3), finish(op), whole(l3), burst(l3s) or None outbound) closures
to save a call per packet (esp documents them); ``stats(sa)`` reads the SA runtime's counters, which the ESP code keeps: packets and
inner bytes it processed, drops by reason.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway_ref.datapath.drops import DropReason

_D = DropReason
# What gateway_ref.esp's prepare/finish may return (the ESP nodes' declared drop counters).
ESP_OUT_REASONS = frozenset({_D.SEQUENCE_EXHAUSTED, _D.MALFORMED_IP, _D.UNSUPPORTED_ALGORITHM})
ESP_IN_REASONS = frozenset({_D.ESP_TRUNCATED, _D.UNKNOWN_SPI, _D.REPLAY, _D.ICV, _D.PADDING, _D.NEXT_HEADER,
                            _D.DUMMY, _D.MALFORMED_IP, _D.ECN_DECAP, _D.UDP_ENCAP_KEEPALIVE,
                            _D.UDP_ENCAP_NON_ESP, _D.UNSUPPORTED_ALGORITHM})

Prepare = Callable[[bytes], Any]
Finish = Callable[[Any], Any]
Whole = Callable[[bytes], Any]
Burst = Callable[[list[bytes]], list[Any]]


@dataclass(frozen=True)
class SaStats:
    packets: int
    bytes: int
    drops: dict[DropReason, int]


@dataclass(frozen=True)
class EspOps:
    encrypt_prepare: Callable[[Any, bytes], Any]
    encrypt_finish: Finish
    decrypt_prepare: Callable[[Any, bytes], Any]
    decrypt_finish: Finish
    encrypt: Callable[[Any, bytes], Any]
    decrypt: Callable[[Any, bytes], Any]
    decrypt_burst: Callable[[Any, list[bytes]], list[Any]]
    stats: Callable[[Any], SaStats]
    bind: Callable[[Any, bool], tuple[Prepare, Finish, Whole, Burst | None]] | None = None

    def bound(self, sa: Any, outbound: bool) -> tuple[Prepare, Finish, Whole, Burst | None]:
        """(prepare(l3), finish(op), whole(l3), burst(l3s) inbound / None) for one SA and direction."""
        if self.bind is not None:
            return self.bind(sa, outbound)
        partial = functools.partial
        if outbound:
            return partial(self.encrypt_prepare, sa), self.encrypt_finish, partial(self.encrypt, sa), None
        return (partial(self.decrypt_prepare, sa), self.decrypt_finish, partial(self.decrypt, sa),
                partial(self.decrypt_burst, sa))
