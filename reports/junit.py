"""JUnit XML (the de-facto schema read by Jenkins, GitLab and GitHub test reporters).

One <testsuite> for the run's conformance verdicts; with a comparison, a second suite with
one <testcase> per compared metric, failing when it regressed.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.results.record import Outcome, RunRecord
from reports.compare import Comparison, Status


def _verdict_suite(record: RunRecord) -> ET.Element:
    suite = ET.Element("testsuite", name=f"conformance {record.dut.name}", timestamp=record.created_utc.isoformat())
    counts = {o: 0 for o in Outcome}
    for v in record.verdicts:
        counts[v.outcome] += 1
        case = ET.SubElement(suite, "testcase", classname=v.test, name=v.test_id, time=f"{v.duration_s:.6f}")
        text = "\n\n".join(f"{f.severity} {f.requirement} {f.field} at {f.packet}: expected {f.expected}, "
                           f"observed {f.observed} {f.detail}\n{f.hexdiff}" for f in v.findings)
        if v.outcome is Outcome.FAILED:
            ET.SubElement(case, "failure", message=v.message or f"{len(v.findings)} finding(s)").text = text
        elif v.outcome is Outcome.ERROR:
            ET.SubElement(case, "error", message=v.message or "error").text = text
        elif v.outcome is Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message=v.message)
    suite.set("tests", str(len(record.verdicts)))
    suite.set("failures", str(counts[Outcome.FAILED]))
    suite.set("errors", str(counts[Outcome.ERROR]))
    suite.set("skipped", str(counts[Outcome.SKIPPED]))
    suite.set("time", f"{sum(v.duration_s for v in record.verdicts):.6f}")
    return suite


def _comparison_suite(comparison: Comparison) -> ET.Element:
    suite = ET.Element("testsuite", name=f"regression vs {comparison.baseline_label}")
    failures = 0
    for r in comparison.rows:
        params = ",".join(f"{k}={v}" for k, v in r.params)
        case = ET.SubElement(suite, "testcase", classname=f"perf.{r.name}", name=f"{r.name}[{params}]", time="0")
        if r.status is Status.REGRESSED:
            failures += 1
            ET.SubElement(case, "failure", message=(
                f"{r.name} regressed {r.change_pct:+.2f} % ({r.baseline} -> {r.current} {r.unit}, "
                f"{r.direction.value}, tolerance {r.tolerance_pct} %)"))
    for w in comparison.warnings:
        ET.SubElement(suite, "system-out").text = f"warning: {w}"
    suite.set("tests", str(len(comparison.rows)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    return suite


def junit_xml(record: RunRecord, comparison: Comparison | None = None) -> str:
    root = ET.Element("testsuites", name=f"ipsec-harness {record.run_id}")
    root.append(_verdict_suite(record))
    if comparison is not None:
        root.append(_comparison_suite(comparison))
    for attr in ("tests", "failures", "errors", "skipped"):
        root.set(attr, str(sum(int(s.get(attr, "0")) for s in root)))
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
