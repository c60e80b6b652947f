"""Test topologies in network namespaces: the classic two-port IPsec rig on veth pairs.

Role: create, describe and always remove the namespaces and links live tests run on
(``rig()``), run commands or callables inside a namespace (``netns``), clean up after
runs that died (``owner``), and skip tests that lack root or namespace support (``require``).

May import: the standard library only (``subprocess`` driving ``ip``). Never imports
``gateway_ref``, other ``harness`` packages or pytest (``require`` imports pytest lazily).
"""
from harness.topo.errors import TopologyError
from harness.topo.names import PREFIX, Side
from harness.topo.netns import call_in_netns, netns_argv, run_in_netns
from harness.topo.require import require_netns, require_root
from harness.topo.rig import Link, Rig, RigSpec, rig

__all__ = [
    "PREFIX",
    "Link",
    "Rig",
    "RigSpec",
    "Side",
    "TopologyError",
    "call_in_netns",
    "netns_argv",
    "require_netns",
    "require_root",
    "rig",
    "run_in_netns",
]
