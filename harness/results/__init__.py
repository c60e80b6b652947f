"""Versioned run records: what every run writes, where, and how it is read back.

``record`` holds the frozen records (run, metric, verdict, finding, histogram) and their JSON
codec; ``provenance`` collects tool/machine identity (git and /proc at the edge); ``store``
writes one JSON + one Parquet file per run into a results directory; ``history`` keeps every
run in SQLite for nightly trends; ``frame`` turns records into tidy pandas DataFrames;
``convert`` turns ``harness.measure`` sweep results into metrics.

May import: the standard library, pandas, pyarrow, ``harness.measure``. Never imports
``gateway_ref`` or ``reports``.
"""
