"""Fixtures for the datapath tests (helpers live in ``gwdp_helpers``)."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from gwdp_helpers import PORT_MACS, cfg_text
from gateway_ref.gateway import Gateway


@pytest.fixture
def make_gw() -> Iterator[Callable[..., Gateway]]:
    made: list[Gateway] = []

    def make(text: str | None = None, **options) -> Gateway:
        options.setdefault("port_macs", PORT_MACS)
        gw = Gateway.from_cfg_text(text if text is not None else cfg_text(), "test.cfg", **options)
        made.append(gw)
        return gw

    yield make
    for gw in made:
        gw.close()
