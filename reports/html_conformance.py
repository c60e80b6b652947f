"""The report's conformance and findings sections (HTML): the coloured algorithm x layout
matrix with counts, the per-suite summary, the failing tests, the requirement ids cited by
findings, and the findings grouped (FAIL before WARN before INFO, hex diffs collapsed)."""
from __future__ import annotations

import pandas as pd

from harness.results.record import RunRecord
from reports.conformance import (Cell, conformance_matrix, failing_tests, requirement_uses, status_frame,
                                 suite_summary)
from reports.findings import FindingGroup, record_findings
from reports.html_parts import details, esc, rows_table

LEGEND = ('<p class="legend">Cell = the tests that ran this layout and algorithm: '
          '<span class="c pass">count</span> all passed, <span class="c warn">warn</span> passed with '
          'warnings, <span class="c fail">fail</span>, <span class="c error">error</span>, '
          '<span class="c xfail">xfail</span> expected failure (known issue), <span class="c skip">skip</span>. '
          'Hover a cell for its counts.</p>')
MAX_GROUP_TESTS = 5


def short_test(test_id: str) -> str:
    """``testsuites/negative/test_neg_replay.py::test_x[p]`` -> ``neg_replay::test_x[p]``."""
    path, sep, name = test_id.partition("::")
    return f"{path.rsplit('/', 1)[-1].removesuffix('.py').removeprefix('test_')}::{name}" if sep else test_id


def _cell(cell: Cell | None) -> str:
    if cell is None:
        return '<td class="c none"></td>'
    return f'<td class="c {cell.status.value}" title="{esc(cell.title)}">{esc(cell.text)}</td>'


def matrix_html(matrix: pd.DataFrame, row_name: str = "algorithm") -> str:
    if matrix.empty:
        return "<p>No conformance verdicts in this run.</p>"
    rows = ([f'<th class="rowhead">{esc(idx)}</th>', *(_cell(c) for c in row)] for idx, row in matrix.iterrows())
    return rows_table([f"{row_name} \\ layout", *map(str, matrix.columns)], rows, "matrix")


def _summary_html(summary: pd.DataFrame) -> str:
    def td(col: str, value: object) -> str:
        cls = {"failed": "fail", "error": "error", "warn": "warn", "xfail": "xfail"}.get(col)
        mark = f' class="c {cls}"' if cls and value else ""
        return f"<td{mark}>{esc(value if value != 0 else '')}</td>" if col != "passed" else f"<td>{esc(value)}</td>"
    rows = ([f"<th>{esc(r.suite)}</th>", f"<td>{esc(r.area)}</td>",
             *(td(c, getattr(r, c)) for c in summary.columns[2:])] for r in summary.itertuples(index=False))
    return rows_table(summary.columns, rows, "summary")


def _requirements_html(record: RunRecord) -> str:
    uses = requirement_uses(record)
    if not uses:
        return "<p>No test recorded which requirements it exercised, and no finding cites one.</p>"
    rows = ([f'<td class="c {u.status.value}">{esc(u.status.value)}</td>', f"<th>{esc(u.id)}</th>",
             f"<td>{esc(u.level)}</td>", f"<td>{esc(u.source)} §{esc(u.section)}</td>", f"<td>{esc(u.text)}</td>",
             f"<td>{u.exercised_tests}</td>", f"<td>{u.verifier_failed_tests}</td>", f"<td>{u.tests}</td>",
             f"<td>{u.failed_tests}</td>", f"<td>{u.findings}</td>"] for u in uses)
    return rows_table(["status", "id", "level", "source", "requirement", "tests exercising", "tests the verifier failed",
                       "tests citing", "tests failed", "findings"], rows)


def conformance_section(record: RunRecord) -> str:
    frame = status_frame(record)
    parts = ['<section id="conformance"><h2>Conformance</h2>']
    if frame.empty:
        return parts[0] + "<p>No conformance verdicts in this run.</p></section>"
    bad = failing_tests(frame)
    if not bad.empty:
        rows = ([f'<td class="c {esc(r.status)}">{esc(r.status)}</td>', f"<td>{esc(r.test)}</td>",
                 f"<td>{r.fail_findings}</td>", f"<td>{esc(r.reason)}</td>"] for r in bad.itertuples(index=False))
        parts.append(f"<h3>Failing tests ({len(bad)})</h3>"
                     + rows_table(["status", "test", "FAIL findings", "why"], rows, "failing"))
    parts += ['<div class="side"><div><h3>Per suite</h3>', _summary_html(suite_summary(frame)),
              "</div><div><h3>Matrix: algorithm × layout</h3>", matrix_html(conformance_matrix(frame)), LEGEND,
              "</div></div><h3>Requirements exercised</h3>", _requirements_html(record), "</section>"]
    return "".join(parts)


def _values(values: tuple[str, ...], distinct: int) -> str:
    shown = ", ".join(f"<code>{esc(v)}</code>" for v in values)
    return shown + (f" … ({distinct} values)" if distinct > len(values) else "")


def _group_html(g: FindingGroup) -> str:
    sev = g.severity.lower() if g.severity in ("FAIL", "WARN", "INFO") else "info"
    known = ' <span class="c xfail">expected failure</span>' if g.expected_failure else ""
    head = (f'<span class="sev {sev}">{esc(g.severity)}</span> <b>{esc(g.requirement)}</b> '
            f"<code>{esc(g.field)}</code> × {g.count} in {len(g.tests)} test{'s' if len(g.tests) > 1 else ''}"
            f"{known}")
    what = (f"<p>expected {_values(g.expected_values, g.distinct_expected)}, observed {_values(g.observed_values, g.distinct_observed)}"
            + (f" — {esc(g.detail)}" if g.detail else "") + "</p>")
    examples = "".join(f"<li><code>{esc(e.packet)}</code> in {esc(short_test(e.test_id))}: expected <code>{esc(e.expected)}</code>,"
                       f" observed <code>{esc(e.observed)}</code></li>" for e in g.examples)
    more_tests = ""
    if len(g.tests) > len({e.test_id for e in g.examples}):
        listed = ", ".join(esc(short_test(t)) for t in g.tests[:MAX_GROUP_TESTS])
        more_tests = f"<p class=\"dim\">tests: {listed}{' …' if len(g.tests) > MAX_GROUP_TESTS else ''}</p>"
    diff = details("hex diff (first occurrence)", f"<pre>{esc(g.hexdiff)}</pre>") if g.hexdiff else ""
    return f'<div class="finding {sev}"><p>{head}</p>{what}<ul>{examples}</ul>{more_tests}{diff}</div>'


def findings_section(record: RunRecord) -> str:
    groups = record_findings(record)
    if not groups:
        return '<section id="findings"><h2>Findings</h2><p>No findings.</p></section>'
    total = sum(g.count for g in groups)
    intro = f"<p>{total} findings in {len(groups)} distinct groups (same requirement, field and value pattern).</p>"
    return ('<section id="findings"><h2>Findings</h2>' + intro + "".join(_group_html(g) for g in groups)
            + "</section>")
