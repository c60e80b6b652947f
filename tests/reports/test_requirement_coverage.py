"""requirement_uses from the per-test coverage fields the pytest plugin records
(``requirements_exercised``/``requirements_failed``): exercised requirements appear even with no
finding, failed ones first, and finding-only verdicts (older records) still count."""
from __future__ import annotations

from datetime import datetime, timezone

from harness.results.record import (DutInfo, FindingRecord, MachineInfo, Outcome, ToolInfo, Verdict, freeze_params,
                                    new_record)
from reports.conformance import Status, requirement_uses


def verdict(test: str, outcome: Outcome, exercised: str | None, failed: str = "",
            findings: tuple[FindingRecord, ...] = ()) -> Verdict:
    params = {"preset": test} if exercised is None else {
        "preset": test, "requirements_exercised": exercised, "requirements_failed": failed}
    return Verdict(f"testsuites/conformance/test_x.py::test_x[{test}]", "test_x", outcome, freeze_params(params),
                   0.1, findings)


def record(*verdicts: Verdict):
    return new_record("r1", ToolInfo("ipsec-harness", "0.1.0", "", False), DutInfo("gateway_ref", "reference-offline"),
                      MachineInfo("h", "Linux", "cpu", 2, "6.1", "3.11"), verdicts=verdicts,
                      created_utc=datetime(2025, 1, 1, tzinfo=timezone.utc))


def test_exercised_requirements_are_listed_with_counts() -> None:
    e3 = FindingRecord("FAIL", "E3", "esp.seq", "port 0, frame #2", "3", "4")
    rec = record(verdict("a", Outcome.PASSED, "A1,A6,E2,E3"),
                 verdict("b", Outcome.FAILED, "A1,A6,E2,E3", "E3,X-DELIVERY", (e3,)),
                 verdict("c", Outcome.PASSED, "A1,E9"),
                 verdict("old", Outcome.FAILED, None, findings=(FindingRecord("FAIL", "A7", "ttl", "", "63", "64"),)))
    uses = {u.id: u for u in requirement_uses(rec)}
    assert set(uses) == {"A1", "A6", "A7", "E2", "E3", "E9", "X-DELIVERY"}
    a1, e3u, xd = uses["A1"], uses["E3"], uses["X-DELIVERY"]
    assert (a1.status, a1.exercised_tests, a1.tests, a1.findings, a1.verifier_failed_tests) == (Status.PASS, 3, 0, 0, 0)
    assert (e3u.status, e3u.exercised_tests, e3u.failed_tests, e3u.verifier_failed_tests) == (Status.FAIL, 2, 1, 1)
    assert (xd.exercised_tests, xd.verifier_failed_tests, xd.findings) == (1, 1, 0)  # failed counts as exercised
    assert (uses["A7"].exercised_tests, uses["A7"].status) == (1, Status.FAIL)  # a finding alone still counts
    order = [u.id for u in requirement_uses(rec)]
    assert order.index("E3") < order.index("A1") and order.index("A7") < order.index("A1")  # failed first


def test_no_coverage_fields_and_no_findings_lists_nothing() -> None:
    assert requirement_uses(record(verdict("a", Outcome.PASSED, None))) == []
