"""Live rigs in network namespaces (root): build, contents, removal on every exit path."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from harness.topo import RigSpec, call_in_netns, require_netns, rig, run_in_netns
from harness.topo.ipcmd import list_namespaces
from harness.topo.owner import DEFAULT_RUN_DIR, owner_path

pytestmark = pytest.mark.live


@pytest.fixture(autouse=True)
def _needs_netns() -> None:
    require_netns()


def _links(ns: str) -> dict[str, dict]:
    out = run_in_netns(ns, ["ip", "-j", "link", "show"]).stdout
    return {i["ifname"]: i for i in json.loads(out)}


def test_two_pair_rig_has_the_planned_links_then_is_gone() -> None:
    with rig(RigSpec(pairs_per_side=2, mtu=9000)) as r:
        assert {r.tester_ns, r.dut_ns} <= set(list_namespaces())
        assert owner_path(DEFAULT_RUN_DIR, r.run_id).exists()
        tester, dut = _links(r.tester_ns), _links(r.dut_ns)
        for link in r.links:
            t, d = tester[link.tester_iface], dut[link.dut_iface]
            assert (t["address"], d["address"]) == (link.tester_mac, link.dut_mac)
            assert t["mtu"] == d["mtu"] == 9000
            assert t["operstate"] == d["operstate"] == "UP"
    assert not {r.tester_ns, r.dut_ns} & set(list_namespaces())
    assert not owner_path(DEFAULT_RUN_DIR, r.run_id).exists()


def test_kernel_addresses_are_configured_when_asked() -> None:
    with rig(RigSpec(kernel_addresses=True)) as r:
        link = r.links[0]
        out = run_in_netns(r.tester_ns, ["ip", "-j", "addr", "show", "dev", link.tester_iface]).stdout
        addrs = {a["local"] for a in json.loads(out)[0]["addr_info"]}
        assert {str(link.tester_ipv4.ip), str(link.tester_ipv6.ip)} <= addrs
        assert not any(a.get("tentative") for a in json.loads(out)[0]["addr_info"])
        # usable at once: binding a tentative address would fail with EADDRNOTAVAIL
        rx = call_in_netns(r.dut_ns, _udp_socket, str(link.dut_ipv6.ip))
        tx = call_in_netns(r.tester_ns, _udp_socket, str(link.tester_ipv6.ip))
        try:
            tx.sendto(b"ipxh", rx.getsockname()[:2])
            assert rx.recvfrom(64)[0] == b"ipxh"
        finally:
            rx.close()
            tx.close()


def _udp_socket(addr: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    sock.settimeout(5)
    sock.bind((addr, 0))
    return sock


def test_exception_inside_the_context_still_removes_everything() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with rig() as r:
            names = {r.tester_ns, r.dut_ns}
            raise RuntimeError("boom")
    assert not names & set(list_namespaces())


def test_call_in_netns_sees_only_that_namespace() -> None:
    with rig() as r:
        seen = call_in_netns(r.dut_ns, lambda: sorted(n for _, n in socket_if_names()))
        assert seen == ["ipxh-d0", "ipxh-d1", "lo"]
        assert os.readlink("/proc/thread-self/ns/net") == call_in_netns(None, lambda: os.readlink("/proc/thread-self/ns/net"))


def socket_if_names() -> list[tuple[int, str]]:
    return socket.if_nameindex()


_CHILD = (
    "import sys, time\n"
    "from harness.topo import rig\n"
    "with rig() as r:\n"
    "    print(r.run_id, flush=True)\n"
    "    time.sleep(30)\n"
)


def _start_child() -> tuple[subprocess.Popen, str]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    child = subprocess.Popen([sys.executable, "-c", _CHILD], stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": root})
    run_id = child.stdout.readline().strip()  # type: ignore[union-attr]
    assert run_id, "child did not build its rig"
    return child, run_id


def _ours(run_id: str) -> set[str]:
    return {n for n in list_namespaces() if n.startswith(f"ipxh-{run_id}-")}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_run_removes_the_rig(signum: int) -> None:
    child, run_id = _start_child()
    assert len(_ours(run_id)) == 2
    child.send_signal(signum)
    child.wait(timeout=20)
    assert _ours(run_id) == set()
    assert not owner_path(DEFAULT_RUN_DIR, run_id).exists()


def test_sigkill_leftovers_are_removed_by_the_next_run() -> None:
    child, run_id = _start_child()
    child.kill()
    child.wait(timeout=20)
    assert len(_ours(run_id)) == 2, "SIGKILL cannot be caught: leftovers expected"
    assert owner_path(DEFAULT_RUN_DIR, run_id).exists()
    with rig() as r:
        assert _ours(run_id) == set()
        assert not owner_path(DEFAULT_RUN_DIR, run_id).exists()
        assert len(_ours(r.run_id)) == 2


def test_links_stay_quiet() -> None:
    """No RS, DAD, MLD or ARP from the kernel: a capture of an idle link stays empty."""
    from harness.io.capture import RingCapture

    with rig() as r:
        link = r.links[0]
        cap = call_in_netns(r.dut_ns, lambda: RingCapture(link.dut_iface, ring_bytes=4 << 20))
        cap_t = call_in_netns(r.tester_ns, lambda: RingCapture(link.tester_iface, ring_bytes=4 << 20))
        time.sleep(1.2)  # RS / DAD / MLD would have gone out within ~1 s of link up
        frames, _ = cap.stop()
        frames_t, _ = cap_t.stop()
        assert frames == [] and frames_t == []
