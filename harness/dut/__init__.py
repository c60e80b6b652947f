"""Devices under test: one protocol (``Dut``), adapters per kind of device.

- ``reference``: ``gateway_ref`` in this process (no privileges, no interfaces);
- ``reference_live``: ``gateway-ref live`` in a network-namespace rig, driven over veth pairs;
- ``external`` (+ ``external_lab``): a device named in a lab TOML file, optionally started and
  stopped by a command template (DPDK ``ipsec-secgw``, VPP, a box reached by ssh);
- ``live_tester``: the tester side shared by the live adapters (send, capture, settle);
- ``faults``: wraps any DUT and injects named faults so the suites can be shown to catch them.

Only ``reference``, ``reference_live`` and ``faults`` may import ``gateway_ref``: the verifier
never checks the gateway with the gateway's own code.
"""
from harness.dut.base import Dut, DutFailed, DutOptions, DutUnavailable, ReceivedFrame

__all__ = ["Dut", "DutFailed", "DutOptions", "DutUnavailable", "ReceivedFrame"]
