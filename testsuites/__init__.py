"""What users run against a DUT: ``conformance/``, ``negative/``, ``performance/`` and ``data/``.
A package so test modules of the same name in ``tests/`` and here do not clash."""
