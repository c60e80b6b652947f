"""The one exception type of the topology package: a setup or teardown step that failed."""
from __future__ import annotations


class TopologyError(RuntimeError):
    """A namespace/link operation failed; the message names the command and the kernel's reply."""
