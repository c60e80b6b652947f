"""Names, MAC addresses and the address plan of a rig: pure functions, no I/O.

Every namespace carries ``ipxh-<runid>-``; interfaces live only inside those namespaces
(they are created there directly, never in the root namespace), so deleting a run's
namespaces deletes every interface of the run.

Address plan (benchmarking ranges only, RFC 2544 / RFC 5180):
- unprotected link k: 198.19.k.0/24 and 2001:2:0:1kk::/64 (kk = k in hex, two digits),
- protected link k:   198.18.k.0/24 and 2001:2:0:2kk::/64,
- the DUT end is host 1, the tester end host 2.
MACs are locally administered (02:...) and derived from role, side and link index.
"""
from __future__ import annotations

import enum
import ipaddress
import re
import secrets

PREFIX = "ipxh-"
MAX_PAIRS_PER_SIDE = 16
_RUN_ID_RE = re.compile(r"^[0-9a-f]{8}$")
_NS_RE = re.compile(r"^ipxh-([0-9a-f]{8})-(tester|dut)$")


class Side(enum.Enum):
    """Which side of the gateway a link is on."""

    UNPROTECTED = "unprotected"
    PROTECTED = "protected"


class Role(enum.Enum):
    """Which end of a veth pair."""

    TESTER = "tester"
    DUT = "dut"


def new_run_id() -> str:
    """A fresh random run id: 8 lowercase hex digits."""
    return secrets.token_hex(4)


def check_run_id(run_id: str) -> str:
    """Return ``run_id`` if it is 8 lowercase hex digits, else raise ValueError naming it."""
    if not _RUN_ID_RE.match(run_id):
        raise ValueError(f"run id {run_id!r}: expected 8 lowercase hex digits")
    return run_id


def namespace_name(run_id: str, role: Role) -> str:
    """``ipxh-<runid>-tester`` or ``ipxh-<runid>-dut``."""
    return f"{PREFIX}{check_run_id(run_id)}-{role.value}"


def run_id_of_namespace(name: str) -> str | None:
    """The run id inside one of our namespace names, or None for any other name."""
    m = _NS_RE.match(name)
    return m.group(1) if m else None


def dut_port(side: Side, index: int) -> int:
    """DUT port number of link ``index`` on ``side``: unprotected 0, 2, 4..., protected 1, 3, 5...

    With one pair per side this is ipsec-secgw's usual wiring: port 0 unprotected
    (``-u 0x1``), port 1 protected.
    """
    return 2 * index + (0 if side is Side.UNPROTECTED else 1)


def tester_iface(side: Side, index: int) -> str:
    """Tester interface name, e.g. ``ipxh-tu0`` (unprotected 0) or ``ipxh-tp0``."""
    return f"{PREFIX}t{side.value[0]}{index}"


def dut_iface(port: int) -> str:
    """DUT interface name for a DUT port number, e.g. ``ipxh-d0``."""
    return f"{PREFIX}d{port}"


def mac(role: Role, side: Side, index: int) -> str:
    """Deterministic locally administered unicast MAC: 02:58:48:<role>:<side>:<index>."""
    role_byte = 1 if role is Role.TESTER else 2
    side_byte = 0 if side is Side.UNPROTECTED else 1
    return f"02:58:48:{role_byte:02x}:{side_byte:02x}:{index:02x}"


def ipv4_interface(role: Role, side: Side, index: int) -> ipaddress.IPv4Interface:
    """The IPv4 address/prefix of one end of link ``index`` (198.18.0.0/15 only)."""
    second = 19 if side is Side.UNPROTECTED else 18
    host = 1 if role is Role.DUT else 2
    return ipaddress.IPv4Interface(f"198.{second}.{index}.{host}/24")


def ipv6_interface(role: Role, side: Side, index: int) -> ipaddress.IPv6Interface:
    """The IPv6 address/prefix of one end of link ``index`` (2001:2::/48 only)."""
    side_digit = 1 if side is Side.UNPROTECTED else 2
    host = 1 if role is Role.DUT else 2
    return ipaddress.IPv6Interface(f"2001:2:0:{side_digit}{index:02x}::{host}/64")
