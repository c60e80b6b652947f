"""Performance measurements over real DUTs: the glue between ``harness.measure`` (pure
search/statistics logic over a ``Measurer``) and the devices of ``harness.dut``.

``traffic`` builds the frames of one sweep point (a protected flow of a scenario, one
direction, one frame size) and reads the (stream, seq) key back out of what the DUT emits;
``offline`` measures an in-process DUT (processing rate per CPU second, real drops only,
"offline processing latency" per burst); ``live`` measures a DUT on wires (paced send,
kernel RX timestamps, so the RFC 2544 search means something); ``placement`` runs the same
traffic with the SA ``type`` switched (lookaside vs inline); ``replay`` is the
anti-replay-under-reordering experiment; ``sweep`` turns a sweep plan into run-record metrics.

May import: the standard library, numpy, ``harness.measure``, ``harness.stream``,
``harness.codec``, ``harness.scenario``, ``harness.verify.correlate``, ``harness.dut``,
``harness.io.pacing`` and ``harness.results``. Never ``gateway_ref`` (DUTs come in through
``harness.dut``) nor ``reports``.
"""
