"""One exchange mixing most bad-packet kinds, through each crypto placement (secgw ``type``:
no-offload = lookaside, cpu-crypto, inline-crypto-offload): the same traffic must get the same
drops and the same deliveries wherever crypto runs (DESIGN.md: placement is wiring, not new
behaviour). RFC 4303 §3.4.3 (E6), §3.4.4 (E9), §2.4 (E12), §2.6 (E13), §3.4 (E19), §3.4.2
(E17); RFC 4301 §5.2 (A4)."""
from __future__ import annotations

import dataclasses

import pytest

from harness.codec.spec import Corruption, EspField
from testsuites.negative.craft import Crafter, assert_dropped

pytestmark = pytest.mark.negative

BAD = 50


@pytest.mark.parametrize("preset", ["tun44-aes128gcm-w64", "tun44-aes128gcm-w64-cpu", "tun44-aes128gcm-w64-inline",
                                    "tun66-aes128cbc-sha256-w64-cpu"])
def test_every_bad_kind_in_one_exchange(preset: str, exchange, scenario_of) -> None:
    sc = scenario_of(preset)
    c = Crafter(sc)
    good = c.good_esp(1, range(1, 4))
    bad = [
        c.esp(BAD, 0, 4, corrupt=Corruption(flip=EspField.ICV), drop="icv-failed"),
        c.esp(BAD, 1, 5, corrupt=Corruption(pad_len_field=255), drop="bad-padding"),
        c.esp(BAD, 2, 6, next_header=59, drop="dummy-packet"),
        c.esp(BAD, 3, 7, corrupt=Corruption(truncate=1), drop="esp-truncated"),
        c.esp(BAD, 4, 8, spec=dataclasses.replace(c.sa_in.spec, spi=c.sa_in.spi + 1), drop="unknown-spi"),
        good[1]._replace(expect_drop="replay"),
        c.clear_in(BAD, 5, "protect", drop="sp-clear-on-protect"),
    ]
    pkts = good + bad + [c.esp(2, 0, 9), c.esp(2, 1, 10)] + c.good_mix(3, 2)
    assert_dropped(exchange.packets(sc, pkts), {"icv-failed": 1, "bad-padding": 1, "dummy-packet": 1,
                                                "esp-truncated": 1, "unknown-spi": 1, "replay": 1,
                                                "sp-clear-on-protect": 1})
