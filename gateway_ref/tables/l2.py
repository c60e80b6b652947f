"""Per-port Ethernet addresses (secgw-reference.md sections 1.5 and 3.8).

Destination MAC of every frame sent on a port: the ``neigh`` rule for that port, else secgw's
defaults for ports 0-3, else 00:00:00:00:00:00. Source MAC: the port's own MAC; ours default to
the locally administered 02:00:00:00:HH:LL with HH:LL = the port number (override per port).
"""
from __future__ import annotations

from collections.abc import Mapping

from gateway_ref.cfg.records import NeighRule

SECGW_DEFAULT_NEIGH = {
    0: bytes.fromhex("00163e7e949a"),
    1: bytes.fromhex("00163e22a1d9"),
    2: bytes.fromhex("00163e086926"),
    3: bytes.fromhex("00163e499edd"),
}
ZERO_MAC = bytes(6)


def neigh_macs(rules: tuple[NeighRule, ...]) -> dict[int, bytes]:
    """Port -> destination MAC after applying ``rules`` in order (the last one per port wins)."""
    macs = dict(SECGW_DEFAULT_NEIGH)
    for rule in rules:
        macs[rule.port] = rule.mac
    return macs


def default_port_mac(port: int) -> bytes:
    """02:00:00:00:HH:LL, HH:LL = ``port`` big-endian."""
    return bytes((2, 0, 0, 0)) + port.to_bytes(2, "big")


def check_port_macs(port_macs: Mapping[int, bytes]) -> dict[int, bytes]:
    """Validate caller-given port MACs (6 bytes each, port 0..65535)."""
    for port, mac in port_macs.items():
        if not 0 <= port <= 0xFFFF or len(mac) != 6:
            raise ValueError(f"port MAC override {port}: {mac!r} needs port 0..65535 and 6 bytes")
    return dict(port_macs)


def format_mac(mac: bytes) -> str:
    """aa:bb:cc:dd:ee:ff."""
    return ":".join(f"{b:02x}" for b in mac)
