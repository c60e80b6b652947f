"""Longest-prefix-match routes of one family (secgw-reference.md sections 1.4 and 3.8).

One dict per prefix length, keyed by the address shifted right to that length, probed from the
longest length down. A prefix written twice: the later rule wins (rte_lpm's add semantics).
"""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from gateway_ref.cfg.records import Family, RtRule


class Lpm:
    """Destination address -> output port."""

    def __init__(self, family: Family, rules: Sequence[RtRule]) -> None:
        self.family = family
        self._bits = 32 if family is Family.IPV4 else 128
        self._nbytes = self._bits // 8
        by_length: dict[int, dict[int, int]] = {}
        for rule in rules:
            if rule.family is not family:
                raise ValueError(f"route {rule.dst} is not {family.name}")
            length = rule.dst.prefixlen
            by_length.setdefault(length, {})[int(rule.dst.network_address) >> (self._bits - length)] = rule.port
        self._levels = tuple((self._bits - length, by_length[length])
                             for length in sorted(by_length, reverse=True))
        self.rules = tuple(rules)

    def lookup(self, dst_addr: bytes) -> int | None:
        """The port of the longest prefix holding ``dst_addr`` (4 or 16 bytes), or None."""
        if len(dst_addr) != self._nbytes:
            raise ValueError(f"{self.family.name} address needs {self._nbytes} bytes, "
                             f"got {len(dst_addr)}")
        address = int.from_bytes(dst_addr, "big")
        for shift, table in self._levels:
            port = table.get(address >> shift)
            if port is not None:
                return port
        return None

    def entries(self) -> list[tuple[str, int]]:
        """(prefix, port) pairs in effect, longest prefix first (for dumps)."""
        out = []
        for shift, table in self._levels:
            length = self._bits - shift
            for key, port in table.items():
                network = _NETWORK[self.family]((key << shift, length))
                out.append((str(network), port))
        return out


_NETWORK = {Family.IPV4: ipaddress.IPv4Network, Family.IPV6: ipaddress.IPv6Network}
