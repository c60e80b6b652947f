"""Reports: run records -> tidy DataFrames -> tables, plots, a self-contained HTML file,
JUnit XML, and comparison against a baseline with per-metric direction and tolerance.

May import: the standard library, pandas, matplotlib (Agg backend only), ``harness.results``
and ``harness.measure`` (rate arithmetic). Never imports ``gateway_ref``.
"""
