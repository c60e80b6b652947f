"""The harness: scenarios, streams, an independent ESP codec, packet I/O, verification,
measurement, DUT adapters, the pytest plugin and the ``ipsec-harness`` CLI.

Never imports ``gateway_ref`` except in ``harness.dut.reference`` (the adapter that runs the
reference gateway as a device under test): the verifier must not check the gateway with the
gateway's own code.
"""
