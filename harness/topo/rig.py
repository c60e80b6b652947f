"""The classic two-port IPsec test rig in network namespaces, built and always removed.

Layout (one pair per side, the default)::

    ipxh-<runid>-tester                      ipxh-<runid>-dut
    ipxh-tu0 (unprotected 0) ─── veth ─── ipxh-d0  DUT port 0 (unprotected)
    ipxh-tp0 (protected 0)   ─── veth ─── ipxh-d1  DUT port 1 (protected)

With N pairs per side, DUT ports alternate: unprotected 0, 2, 4...; protected 1, 3, 5...

Quiet links: before the links exist, each namespace gets these ``net.ipv6.conf.{all,default}``
sysctls, so captures hold only test traffic: ``accept_dad=0`` and ``dad_transmits=0`` (no DAD
probes; addresses usable at once, ``nodad`` is also passed), ``router_solicitations=0`` (no
RS), ``accept_ra=0``, ``addr_gen_mode=1`` (no link-local address, hence no solicited-node
group and no MLD report for it), and, unless ``kernel_addresses`` asks for them,
``disable_ipv6=1``. By default the kernel gets no IPv4/IPv6 address on any port either: the
rig is pure L2, the address plan in ``Link`` is data for frame builders, and the kernel never
answers ARP/ND or sends ICMP errors into a capture. ``kernel_addresses=True`` configures the
plan on the interfaces (for a kernel-stack DUT such as xfrm).

Cleanup: each step registers its undo right after it succeeds (``Defer``); the context
manager runs them on normal exit, on any exception, on SIGINT and on SIGTERM. Deleting a
namespace deletes its veth ends. Leftovers of SIGKILLed runs are removed by the next run.
"""
from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from harness.topo import ipcmd, names, owner
from harness.topo.defer import Defer, cleanup_on_signals
from harness.topo.errors import TopologyError
from harness.topo.names import Role, Side

log = logging.getLogger(__name__)

MIN_MTU = 68
MAX_MTU = 65535
CARRIER_WAIT_S = 5.0
CARRIER_POLL_S = 0.005


@dataclasses.dataclass(frozen=True)
class RigSpec:
    """What to build. ``run_id`` None picks a fresh random one."""

    pairs_per_side: int = 1
    mtu: int = 1500
    kernel_addresses: bool = False
    run_id: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.pairs_per_side <= names.MAX_PAIRS_PER_SIDE:
            raise ValueError(
                f"pairs_per_side={self.pairs_per_side}: allowed 1..{names.MAX_PAIRS_PER_SIDE}"
            )
        if not MIN_MTU <= self.mtu <= MAX_MTU:
            raise ValueError(f"mtu={self.mtu}: allowed {MIN_MTU}..{MAX_MTU}")
        if self.run_id is not None:
            names.check_run_id(self.run_id)


@dataclasses.dataclass(frozen=True)
class Link:
    """One veth pair between a tester interface and a DUT port, with its address plan."""

    side: Side
    index: int
    dut_port: int
    tester_iface: str
    dut_iface: str
    tester_mac: str
    dut_mac: str
    tester_ipv4: ipaddress.IPv4Interface
    dut_ipv4: ipaddress.IPv4Interface
    tester_ipv6: ipaddress.IPv6Interface
    dut_ipv6: ipaddress.IPv6Interface
    mtu: int


@dataclasses.dataclass(frozen=True)
class Rig:
    """A built rig: namespace names and links. Valid only inside ``rig()``'s ``with`` block."""

    run_id: str
    tester_ns: str
    dut_ns: str
    links: tuple[Link, ...]

    def side(self, side: Side) -> tuple[Link, ...]:
        """Links of one side, by index."""
        return tuple(link for link in self.links if link.side is side)

    def by_dut_port(self, port: int) -> Link:
        """The link attached to DUT port ``port``."""
        for link in self.links:
            if link.dut_port == port:
                return link
        raise KeyError(f"no DUT port {port} in rig {self.run_id}")

    @property
    def unprotected_port_mask(self) -> int:
        """Bit mask of unprotected DUT ports (ipsec-secgw's ``-u``)."""
        return sum(1 << link.dut_port for link in self.side(Side.UNPROTECTED))


def plan_links(spec: RigSpec) -> tuple[Link, ...]:
    """The links ``spec`` asks for, in DUT port order (pure)."""
    links = []
    for index in range(spec.pairs_per_side):
        for side in (Side.UNPROTECTED, Side.PROTECTED):
            port = names.dut_port(side, index)
            links.append(
                Link(
                    side=side,
                    index=index,
                    dut_port=port,
                    tester_iface=names.tester_iface(side, index),
                    dut_iface=names.dut_iface(port),
                    tester_mac=names.mac(Role.TESTER, side, index),
                    dut_mac=names.mac(Role.DUT, side, index),
                    tester_ipv4=names.ipv4_interface(Role.TESTER, side, index),
                    dut_ipv4=names.ipv4_interface(Role.DUT, side, index),
                    tester_ipv6=names.ipv6_interface(Role.TESTER, side, index),
                    dut_ipv6=names.ipv6_interface(Role.DUT, side, index),
                    mtu=spec.mtu,
                )
            )
    return tuple(sorted(links, key=lambda link: link.dut_port))


def quiet_sysctls(kernel_addresses: bool) -> dict[str, str]:
    """The sysctls that keep the kernel from talking on rig links (see module docstring)."""
    settings = {}
    for scope in ("all", "default"):
        base = f"net.ipv6.conf.{scope}."
        settings.update(
            {
                base + "accept_dad": "0",
                base + "dad_transmits": "0",
                base + "router_solicitations": "0",
                base + "accept_ra": "0",
                base + "addr_gen_mode": "1",
                base + "disable_ipv6": "0" if kernel_addresses else "1",
            }
        )
    return settings


def _add_namespace(ns: str, spec: RigSpec, undo: Defer) -> None:
    ipcmd.ip("netns", "add", ns)
    undo.defer(f"netns del {ns}", ipcmd.ip, "netns", "del", ns)
    ipcmd.set_sysctls(ns, quiet_sysctls(spec.kernel_addresses))
    ipcmd.ip("link", "set", "lo", "up", netns=ns)


def _add_link(rig_: Rig, link: Link, kernel_addresses: bool) -> None:
    """Create one veth pair directly inside the two namespaces (never in the root one)."""
    mtu = str(link.mtu)
    ipcmd.ip(
        "link", "add", link.tester_iface, "address", link.tester_mac, "mtu", mtu,
        "type", "veth",
        "peer", "name", link.dut_iface, "address", link.dut_mac, "mtu", mtu, "netns", rig_.dut_ns,
        netns=rig_.tester_ns,
    )  # fmt: skip
    ends = ((rig_.tester_ns, link.tester_iface, link.tester_ipv4, link.tester_ipv6),
            (rig_.dut_ns, link.dut_iface, link.dut_ipv4, link.dut_ipv6))  # fmt: skip
    for ns, iface, v4, v6 in ends:
        if kernel_addresses:
            ipcmd.ip("addr", "add", str(v4), "dev", iface, netns=ns)
            ipcmd.ip("addr", "add", str(v6), "dev", iface, "nodad", netns=ns)
        ipcmd.ip("link", "set", iface, "up", netns=ns)


def build(spec: RigSpec, undo: Defer, run_dir: Path) -> Rig:
    """Create the rig step by step, registering each undo on ``undo`` as soon as it is done."""
    run_id = spec.run_id or names.new_run_id()
    path = owner.write_owner(run_dir, run_id)
    undo.defer(f"remove {path}", path.unlink, True)
    built = Rig(
        run_id=run_id,
        tester_ns=names.namespace_name(run_id, Role.TESTER),
        dut_ns=names.namespace_name(run_id, Role.DUT),
        links=plan_links(spec),
    )
    _add_namespace(built.tester_ns, spec, undo)
    _add_namespace(built.dut_ns, spec, undo)
    for link in built.links:
        _add_link(built, link, spec.kernel_addresses)
    for ns in (built.tester_ns, built.dut_ns):
        _wait_carrier(ns, {link.tester_iface if ns == built.tester_ns else link.dut_iface
                           for link in built.links})
    return built


def _wait_carrier(ns: str, ifaces: set[str]) -> None:
    """Wait (bounded) until every interface is operationally up.

    Until the kernel's link watcher sees carrier, a device keeps the noop qdisc and
    silently drops what is sent, so the rig is not usable before this returns.
    """
    deadline = time.monotonic() + CARRIER_WAIT_S
    while True:
        shown = json.loads(ipcmd.ip("-j", "link", "show", netns=ns) or "[]")
        down = {i["ifname"] for i in shown if i["ifname"] in ifaces and i.get("operstate") != "UP"}
        if not down:
            return
        if time.monotonic() > deadline:
            raise TopologyError(f"{ns}: no carrier after {CARRIER_WAIT_S} s on {sorted(down)}")
        time.sleep(CARRIER_POLL_S)


@contextlib.contextmanager
def rig(spec: RigSpec = RigSpec(), *, run_dir: Path = owner.DEFAULT_RUN_DIR) -> Iterator[Rig]:
    """Build the rig, yield it, and remove everything it created, whatever happens.

    Leftovers of earlier runs whose owner process is gone are removed first.
    Raises TopologyError when not root or when a step fails (after undoing what was done).
    """
    if os.geteuid() != 0:
        raise TopologyError("building a rig needs root (network namespaces, veth)")
    removed = owner.clean_stale(run_dir)
    if removed:
        log.info("removed stale namespaces: %s", ", ".join(removed))
    undo = Defer()
    with cleanup_on_signals(undo.run):
        try:
            yield build(spec, undo, run_dir)
        finally:
            _report(undo.run())


def _report(errors: Sequence[str]) -> None:
    for message in errors:
        log.warning("%s", message)
