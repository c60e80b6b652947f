"""Conformance verdicts -> the tables a person scans: a coloured matrix (algorithm x layout,
each cell the worst outcome of the tests that ran that combination, with counts), a per-suite
summary, the failing tests, and per requirement id (RFC and level) what the run did with it:
how many tests exercised it (the verdict fields ``requirements_exercised`` and
``requirements_failed`` the pytest plugin records from the verifier), how many failed on it,
and the findings citing it.

A verdict's status refines its outcome: a passed test with WARN findings is ``warn``, a
skipped test whose message starts with ``xfail:`` (how the pytest plugin records an expected
failure) is ``xfail``. Pure functions over ``RunRecord``; HTML is in ``html_conformance``.
"""
from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd

from harness.results.record import Outcome, RunRecord, Verdict
from harness.verify.requirements import CATALOGUE


class Status(enum.Enum):
    """A verdict's status for people, worst first (a cell shows its worst)."""

    ERROR = "error"
    FAIL = "fail"
    WARN = "warn"
    PASS = "pass"
    XFAIL = "xfail"
    SKIP = "skip"


WORST_FIRST = tuple(Status)
LAYOUT_ORDER = ("tun44", "tun46", "tun64", "tun66", "trs4", "trs6")
FAMILY_DIGIT = {"ipv4": "4", "ipv6": "6"}


def verdict_status(v: Verdict) -> Status:
    if v.outcome is Outcome.ERROR:
        return Status.ERROR
    if v.outcome is Outcome.FAILED:
        return Status.FAIL
    if v.outcome is Outcome.SKIPPED:
        return Status.XFAIL if v.message.startswith("xfail:") else Status.SKIP
    return Status.WARN if any(f.severity == "WARN" for f in v.findings) else Status.PASS


def suite_and_area(v: Verdict) -> tuple[str, str]:
    """``testsuites/negative/test_neg_policy.py::...`` -> (``negative``, ``neg_policy``); a
    whole-suite verdict ``suite:NAME`` (no pytest record) -> (NAME, ``(whole suite)``)."""
    if "::" in v.test_id:
        path = PurePosixPath(v.test_id.split("::", 1)[0])
        return path.parent.name or "tests", path.stem.removeprefix("test_")
    if v.test.startswith("suite:"):
        return v.test.split(":", 1)[1], "(whole suite)"
    return "tests", v.test


def layout_of(params: dict[str, object]) -> str:
    """``tun44``/``tun46``/``trs6``... from the scenario fields (tunIO = inner I over outer O)."""
    mode, inner, outer = params.get("mode"), params.get("inner_family"), params.get("outer_family")
    if mode == "tunnel" and inner in FAMILY_DIGIT and outer in FAMILY_DIGIT:
        return f"tun{FAMILY_DIGIT[str(inner)]}{FAMILY_DIGIT[str(outer)]}"
    if mode == "transport" and outer in FAMILY_DIGIT:
        return f"trs{FAMILY_DIGIT[str(outer)]}"
    return "-"


def status_frame(record: RunRecord) -> pd.DataFrame:
    """One row per verdict: test_id, suite, area, layout, algorithm, status (a ``Status``
    value), message, and the FAIL/WARN finding counts."""
    rows = []
    for v in record.verdicts:
        params = dict(v.params)
        suite, area = suite_and_area(v)
        sev = Counter(f.severity for f in v.findings)
        rows.append({"test_id": v.test_id, "suite": suite, "area": area, "layout": layout_of(params),
                     "algorithm": str(params.get("algorithm", "-")), "status": verdict_status(v).value,
                     "message": v.message, "fail_findings": sev["FAIL"], "warn_findings": sev["WARN"]})
    return pd.DataFrame(rows, columns=["test_id", "suite", "area", "layout", "algorithm", "status", "message",
                                       "fail_findings", "warn_findings"])


@dataclass(frozen=True)
class Cell:
    """The tests of one matrix cell: its worst status, how many, and the counts per status."""

    status: Status
    total: int
    counts: tuple[tuple[Status, int], ...]  # worst first, only statuses present

    @property
    def text(self) -> str:
        """``12`` when all are fine, else ``2 fail / 12``."""
        bad = dict(self.counts).get(self.status, 0)
        if self.status in (Status.PASS, Status.SKIP) or bad == self.total:
            return f"{self.total}" if self.status is Status.PASS else f"{self.status.value} {self.total}"
        return f"{bad} {self.status.value} / {self.total}"

    @property
    def title(self) -> str:
        return ", ".join(f"{n} {s.value}" for s, n in self.counts)


def make_cell(statuses: Iterable[str]) -> Cell:
    counts = Counter(Status(s) for s in statuses)
    ordered = tuple((s, counts[s]) for s in WORST_FIRST if counts[s])
    return Cell(ordered[0][0], sum(counts.values()), ordered)


def _ordered(values: Iterable[str], preferred: Sequence[str] = ()) -> list[str]:
    vals = set(values)
    return [v for v in preferred if v in vals] + sorted(vals - set(preferred))


def conformance_matrix(frame: pd.DataFrame, rows: str = "algorithm", cols: str = "layout") -> pd.DataFrame:
    """``Cell`` per (row value, column value); None where no test ran that combination.

    By default rows are algorithms and columns scenario layouts, so a cell is one preset
    (layout + algorithm) and the whole conformance run fits on a screen.
    """
    if frame.empty:
        return pd.DataFrame()
    row_keys = _ordered(frame[rows])
    col_keys = _ordered(frame[cols], LAYOUT_ORDER if cols == "layout" else ())
    cells: dict[str, dict[str, Cell | None]] = {c: dict.fromkeys(row_keys) for c in col_keys}
    for (r, c), grp in frame.groupby([rows, cols]):
        cells[c][r] = make_cell(grp.status)
    return pd.DataFrame(cells, index=row_keys, columns=col_keys)


SUMMARY_COLUMNS = ["passed", "warn", "failed", "error", "skipped", "xfail", "total"]
_SUMMARY_OF = {Status.PASS: "passed", Status.WARN: "warn", Status.FAIL: "failed", Status.ERROR: "error",
               Status.SKIP: "skipped", Status.XFAIL: "xfail"}


def suite_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts per (suite, area) and a ``total`` row; ``passed`` excludes ``warn``."""
    if frame.empty:
        return pd.DataFrame(columns=["suite", "area", *SUMMARY_COLUMNS])
    rows = []
    for (suite, area), grp in [*frame.groupby(["suite", "area"], sort=True), (("total", ""), frame)]:
        counts = Counter(_SUMMARY_OF[Status(s)] for s in grp.status)
        rows.append({"suite": suite, "area": area, **{c: counts[c] for c in SUMMARY_COLUMNS[:-1]},
                     "total": len(grp)})
    return pd.DataFrame(rows, columns=["suite", "area", *SUMMARY_COLUMNS])


def reason(message: str, limit: int = 240) -> str:
    """What a pytest failure says about why: its first three ``E`` lines (the assertion
    message), else its first non-empty line."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    why = [ln[1:].strip() for ln in lines if ln.startswith("E ")][:3] or lines[:1]
    text = " | ".join(why)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def failing_tests(frame: pd.DataFrame) -> pd.DataFrame:
    """Failed and errored tests (worst first): ``area::name[params]``, FAIL findings, why."""
    bad = frame[frame.status.isin([Status.ERROR.value, Status.FAIL.value])]
    test = bad.area + "::" + bad.test_id.map(lambda t: t.rsplit("::", 1)[-1])
    return (bad.assign(test=test, reason=bad.message.map(reason))[["status", "test", "fail_findings", "reason"]]
            .sort_values(["status", "test"]).reset_index(drop=True))


@dataclass(frozen=True)
class RequirementUse:
    """A requirement id the run exercised or its findings cited: where it comes from and what
    happened to it."""

    id: str
    source: str
    section: str
    level: str
    text: str
    findings: int
    tests: int  # tests whose findings cite it
    failed_tests: int  # tests that failed or errored with a FAIL finding citing it
    xfail_tests: int  # expected failures citing it in a FAIL finding
    only_info: bool  # every finding citing it is INFO (also true with no finding)
    exercised_tests: int = 0  # tests that exercised it (verifier fields, or a finding citing it)
    verifier_failed_tests: int = 0  # tests whose verifier failed it (``requirements_failed``)

    @property
    def status(self) -> Status:
        if self.failed_tests:
            return Status.FAIL
        if self.xfail_tests:
            return Status.XFAIL
        return Status.PASS if self.only_info else Status.WARN


def _id_list(params: dict[str, object], name: str) -> set[str]:
    value = params.get(name, "")
    return {part for part in str(value).split(",") if part}


def requirement_uses(record: RunRecord) -> list[RequirementUse]:
    """Every requirement id the run's tests exercised or its findings cite, failed ones first
    (unknown ids say so). A requirement exercised with no finding has status ``pass``."""
    findings: Counter[str] = Counter()
    info: Counter[str] = Counter()
    tests: dict[str, set[str]] = defaultdict(set)
    failed: dict[str, set[str]] = defaultdict(set)
    xfail: dict[str, set[str]] = defaultdict(set)
    exercised: dict[str, set[str]] = defaultdict(set)
    verifier_failed: dict[str, set[str]] = defaultdict(set)
    for v in record.verdicts:
        status = verdict_status(v)
        params = dict(v.params)
        for rid in _id_list(params, "requirements_failed"):
            verifier_failed[rid].add(v.test_id)
        for rid in _id_list(params, "requirements_exercised") | _id_list(params, "requirements_failed"):
            exercised[rid].add(v.test_id)
        for f in v.findings:
            findings[f.requirement] += 1
            info[f.requirement] += f.severity == "INFO"
            tests[f.requirement].add(v.test_id)
            exercised[f.requirement].add(v.test_id)
            if f.severity == "FAIL" and status in (Status.FAIL, Status.ERROR):
                failed[f.requirement].add(v.test_id)
            if f.severity == "FAIL" and status is Status.XFAIL:
                xfail[f.requirement].add(v.test_id)
    out = []
    for rid in exercised:
        req = CATALOGUE.get(rid)
        out.append(RequirementUse(
            rid, req.source if req else "?", req.section if req else "", req.level.value if req else "?",
            req.text if req else "not in the requirement catalogue", findings[rid], len(tests[rid]),
            len(failed[rid]), len(xfail[rid]), info[rid] == findings[rid], len(exercised[rid]),
            len(verifier_failed[rid])))
    return sorted(out, key=lambda u: (WORST_FIRST.index(u.status), u.id))
