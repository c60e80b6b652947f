"""Reports: run records -> tidy DataFrames -> tables, plots, a self-contained HTML file,
JUnit XML, and comparison against a baseline with per-metric direction and tolerance.

Modules: ``compare`` (regression check), ``tables`` (throughput and comparison tables),
``conformance`` (verdict statuses, algorithm x layout matrix, suite summary, requirements),
``findings`` (findings grouped by problem), ``plots`` (matplotlib figures), ``html_parts`` /
``html_conformance`` / ``html_report`` (the HTML page), ``junit``, ``cli``.

May import: the standard library, pandas, matplotlib (Agg backend only), ``harness.results``,
``harness.measure`` (rate arithmetic) and ``harness.verify.requirements`` (the requirement
catalogue, pure data). Never imports ``gateway_ref``.
"""
