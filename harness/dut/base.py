"""The DUT protocol the suites drive: configure with cfg text, send frames to DUT ports,
collect what the DUT emitted on each port, read its drop counters when it has any."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable


class DutUnavailable(Exception):
    """The DUT cannot run here (missing privileges, tool or lab file); tests skip with this text."""


class DutFailed(RuntimeError):
    """The DUT stopped working mid-run (its process exited); the text has its status and stderr."""


@dataclass(frozen=True)
class DutOptions:
    """secgw-like gateway options (``-u``, ``-w``, ``-e``, ``--engine``)."""

    unprotected_ports: frozenset[int] = frozenset({0})
    replay_window: int = 0
    esn: bool = False
    engine: str = "library"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReceivedFrame:
    """A frame the DUT emitted on ``port``; ``ts_ns`` is a receive timestamp (0 offline)."""

    port: int
    ts_ns: int
    frame: bytes


# A frame on a real Ethernet wire carries at least its 14-byte header (the kernel refuses to
# send less through AF_PACKET); only an in-process DUT can be offered shorter runts.
WIRE_MIN_FRAME_LEN = 14


@runtime_checkable
class Dut(Protocol):
    name: str
    min_frame_len: int  # shortest frame ``send`` can offer (1 in process, WIRE_MIN_FRAME_LEN on a wire)

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        """(Re)start the device with this cfg; raises ValueError with the DUT's message on a bad cfg."""

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        """Offer frames to DUT port ``port`` (as if they arrived on its wire), in order."""

    def collect(self) -> list[ReceivedFrame]:
        """Everything the DUT emitted since the last collect, in emission order per port."""

    def counters(self) -> dict | None:
        """The DUT's counters (``drops`` by reason name, ``rx``/``tx``/``dropped``), or None if it has none."""

    def close(self) -> None:
        """Stop the device and release its resources."""
