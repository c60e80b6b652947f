"""The reference gateway (``gateway_ref``) as an in-process DUT: no privileges, no interfaces.

This is the one module of ``harness`` that imports ``gateway_ref``. Frames offered with
``send`` are processed at once; lookaside completions are flushed on ``collect`` so a test sees
everything the gateway emitted for what it sent.
"""
from __future__ import annotations

from typing import Sequence

from gateway_ref.cfg.errors import ConfigError
from gateway_ref.gateway import Gateway

from harness.dut.base import DutOptions, ReceivedFrame


def port_macs(options: DutOptions) -> dict[int, bytes]:
    """The port MACs named in ``options.extra`` as ``port_mac.N``."""
    return {int(key.split(".", 1)[1]): bytes.fromhex(value.replace(":", ""))
            for key, value in options.extra.items() if key.startswith("port_mac.")}


class ReferenceDut:
    """``--dut reference``: gateway_ref in this process."""

    name = "reference"
    min_frame_len = 1

    def __init__(self) -> None:
        self._gw: Gateway | None = None
        self._out: list[ReceivedFrame] = []
        self.cfg_text = ""

    def configure(self, cfg_text: str, options: DutOptions) -> None:
        """Build the gateway; ``options.extra["port_mac.N"]`` (``aa:bb:..``) sets port N's own MAC."""
        self.close()
        try:
            self._gw = Gateway.from_cfg_text(
                cfg_text, "scenario.cfg", unprotected_ports=options.unprotected_ports,
                replay_window=options.replay_window, esn=options.esn, engine=options.engine,
                port_macs=port_macs(options))
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        self.cfg_text = cfg_text
        self._out = []

    def _gateway(self) -> Gateway:
        if self._gw is None:
            raise RuntimeError("ReferenceDut used before configure()")
        return self._gw

    def _keep(self, out: dict[int, list[bytes]]) -> None:
        self._out.extend(ReceivedFrame(port, 0, frame) for port, frames in sorted(out.items()) for frame in frames)

    def send(self, port: int, frames: Sequence[bytes]) -> None:
        self._keep(self._gateway().process(port, list(frames)))

    def collect(self) -> list[ReceivedFrame]:
        self._keep(self._gateway().flush())
        out, self._out = self._out, []
        return out

    def counters(self) -> dict:
        return self._gateway().counters()

    def close(self) -> None:
        if self._gw is not None:
            self._gw.close()
            self._gw = None
