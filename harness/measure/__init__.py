"""Measurement logic: rates, trials, latency statistics, RFC 2544 searches and sweeps.

Pure logic over a ``Measurer`` interface (``measure(duration_s, offered_load_pps)``), so an
offline model, the reference gateway and a lab device all plug in the same way.

May import: the standard library and numpy. Never imports ``gateway_ref``, ``reports``,
``harness.results`` or any I/O package of the harness.
"""
