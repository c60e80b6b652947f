"""Security policy database of one (family, direction): secgw's ACL semantics in Python.

secgw-reference.md sections 1.2 and 3.4: a rule matches when ``(proto & mask) == (value &
mask)``, src/dst are inside their prefixes and the two 16-bit "ports" are inside their inclusive
ranges. The fields are read at FIXED offsets, as secgw's ACL does: IPv4 proto = byte 9, addresses
= bytes 12-19, ports = bytes 20-23 whatever the IHL; IPv6 proto = base header next header (byte
6), addresses = bytes 8-39, ports = bytes 40-43 (extension headers are not skipped). Bytes missing
because the packet is short count as 0.

Precedence: the highest ``pri`` wins. Equal priorities are undefined in rte_acl; here the rule
written first in the file wins (a stable sort), which makes results reproducible.

No match returns None: the caller applies default deny. A table with no rules at all is never
built (``Tables.spd`` returns None, secgw's pass-through quirk).

Lookups go through a bounded cache: one dict per protocol byte, keyed by the address and port
bytes (indexing a list by the byte is cheaper than building a tuple key per packet); a dict
that fills up is cleared.

A cache miss does not scan every rule (that cost ~100 us per miss at 2 000 rules): rules are
grouped by their (src prefix length, dst prefix length) pair, and each group is a dict from the
masked (src, dst) pair to its rules in precedence order. A miss probes each group once with the
packet's addresses masked to the group's lengths and checks proto and ports on the few rules
found there. Groups are probed in the order of their best rule, so the probe stops as soon as no
remaining group can hold a rule that precedes the best match so far. The answer is the first
rule in precedence order that matches, exactly as a linear scan would give.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway_ref.cfg.records import Direction, Family, SpRule

DEFAULT_CACHE_SIZE = 65536


@dataclass(frozen=True)
class _Layout:
    proto_offset: int
    addr_offset: int  # src, then dst, then sport, dport: contiguous in both families
    addr_len: int


_LAYOUTS = {Family.IPV4: _Layout(9, 12, 4), Family.IPV6: _Layout(6, 8, 16)}


@dataclass(frozen=True)
class _Compiled:
    index: int  # position in precedence order: lower wins
    proto_value: int  # already masked
    proto_mask: int
    sport: tuple[int, int]
    dport: tuple[int, int]
    rule: SpRule


@dataclass(frozen=True)
class _Group:
    """The rules of one (src prefix length, dst prefix length) pair, by masked address pair."""

    first: int  # precedence index of the group's best rule
    src_mask: int
    dst_mask: int
    by_nets: dict[tuple[int, int], tuple[_Compiled, ...]]


class Spd:
    """SP rules of one family and direction in precedence order, with a cached indexed lookup."""

    def __init__(self, family: Family, direction: Direction, rules: Sequence[SpRule],
                 cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        if any(r.family is not family or r.direction is not direction for r in rules):
            raise ValueError("every rule of an Spd must have its family and direction")
        self.family = family
        self.direction = direction
        self.rules: tuple[SpRule, ...] = tuple(sorted(rules, key=lambda r: -r.priority))
        self._groups = _index(self.rules)
        layout = _LAYOUTS[family]
        self._proto_at = layout.proto_offset
        self._rest_from = layout.addr_offset
        self._rest_to = self._min_len = layout.addr_offset + 2 * layout.addr_len + 4
        self._addr_len = layout.addr_len
        self._caches: list[dict[bytes, SpRule | None]] = [{} for _ in range(256)]
        self._cache_size = cache_size
        self.lookup = self._make_lookup()

    @property
    def cached(self) -> int:
        """How many flows the cache holds now."""
        return sum(map(len, self._caches))

    def _make_lookup(self) -> Callable[[bytes], SpRule | None]:
        caches, proto_at, rest_from, rest_to = self._caches, self._proto_at, self._rest_from, self._rest_to
        min_len, size, match = self._min_len, self._cache_size, self._match

        def lookup(l3: bytes) -> SpRule | None:
            """The winning rule for the IP packet ``l3`` (starting at its IP header), or None."""
            if len(l3) < min_len:
                l3 = l3.ljust(min_len, b"\0")
            cache = caches[l3[proto_at]]
            rest = l3[rest_from:rest_to]
            try:
                return cache[rest]
            except KeyError:
                pass
            result = match(l3[proto_at], rest)
            if len(cache) >= size:
                cache.clear()
            cache[rest] = result
            return result
        return lookup

    def _match(self, proto: int, rest: bytes) -> SpRule | None:
        """The first rule in precedence order matching the selectors (a cache miss)."""
        n = self._addr_len
        src = int.from_bytes(rest[:n], "big")
        dst = int.from_bytes(rest[n:2 * n], "big")
        sport = int.from_bytes(rest[2 * n:2 * n + 2], "big")
        dport = int.from_bytes(rest[2 * n + 2:2 * n + 4], "big")
        best: _Compiled | None = None
        best_index = len(self.rules)
        for group in self._groups:
            if group.first >= best_index:
                break  # groups are ordered by their best rule: none later can win
            for c in group.by_nets.get((src & group.src_mask, dst & group.dst_mask), ()):
                if c.index >= best_index:
                    break
                if ((proto & c.proto_mask) == c.proto_value
                        and c.sport[0] <= sport <= c.sport[1]
                        and c.dport[0] <= dport <= c.dport[1]):
                    best, best_index = c, c.index
                    break
        return None if best is None else best.rule


def _index(rules: Sequence[SpRule]) -> tuple[_Group, ...]:
    """Rules (in precedence order) grouped by prefix-length pair, groups by their best rule."""
    masks: dict[tuple[int, int], tuple[int, int]] = {}
    nets: dict[tuple[int, int], dict[tuple[int, int], list[_Compiled]]] = {}
    for index, rule in enumerate(rules):
        lengths = (rule.src.prefixlen, rule.dst.prefixlen)
        if lengths not in nets:
            masks[lengths] = (int(rule.src.netmask), int(rule.dst.netmask))
            nets[lengths] = {}
        key = (int(rule.src.network_address), int(rule.dst.network_address))
        nets[lengths].setdefault(key, []).append(_Compiled(
            index=index, proto_value=rule.proto_value & rule.proto_mask, proto_mask=rule.proto_mask,
            sport=rule.sport, dport=rule.dport, rule=rule))
    # Rules arrive in precedence order, so dict order already lists groups by their best rule.
    return tuple(_Group(first=next(iter(by_nets.values()))[0].index, src_mask=masks[lengths][0],
                        dst_mask=masks[lengths][1],
                        by_nets={key: tuple(found) for key, found in by_nets.items()})
                 for lengths, by_nets in nets.items())
