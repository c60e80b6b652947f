"""Address helpers shared by the IPv4 and IPv6 codecs."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def to_ip(addr: str | bytes | IPAddress) -> IPAddress:
    """Text, packed bytes (4 or 16) or an ipaddress object → an ipaddress object."""
    if isinstance(addr, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return addr
    return ipaddress.ip_address(addr)


def packed(addr: str | bytes | IPAddress) -> bytes:
    """Any accepted address form → its packed network-order bytes."""
    if isinstance(addr, bytes) and len(addr) in (4, 16):
        return addr
    return to_ip(addr).packed
