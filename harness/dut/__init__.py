"""Devices under test: one protocol (``Dut``), adapters per kind of device.

``reference`` runs ``gateway_ref`` in process (the only module of ``harness`` allowed to import
it); ``faults`` wraps any DUT and injects named faults so the suites can be shown to catch them.
"""
from harness.dut.base import Dut, DutOptions, DutUnavailable, ReceivedFrame

__all__ = ["Dut", "DutOptions", "DutUnavailable", "ReceivedFrame"]
