"""The result of one verification: findings, correlation counts, requirements exercised and
failed, and its JSON and human renderings."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from harness.verify.correlate import Correlation, FlowStats
from harness.verify.findings import Finding, Severity
from harness.verify.invariants import SaInvariantStats
from harness.verify.requirements import requirement


def _stats_json(stats: FlowStats) -> dict[str, int]:
    return dict(stats.__dict__)


@dataclass(frozen=True)
class VerifyResult:
    profile: str
    findings: tuple[Finding, ...]
    correlation: Correlation
    expected_kinds: dict[str, int]  # ForwardClear/Encrypt/Decrypt/Drop -> count
    expected_drops: dict[str, int]  # drop reason -> count
    sa_invariants: dict[int, SaInvariantStats]
    requirements_exercised: frozenset[str]

    @property
    def passed(self) -> bool:
        return not any(f.severity is Severity.FAIL for f in self.findings)

    @property
    def requirements_failed(self) -> frozenset[str]:
        return frozenset(f.requirement for f in self.findings if f.severity is Severity.FAIL)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_json(self) -> dict[str, Any]:
        corr = self.correlation
        return {
            "profile": self.profile, "passed": self.passed,
            "counts": {s.value: self.count(s) for s in Severity},
            "expected": self.expected_kinds, "expected_drops": self.expected_drops,
            "totals": _stats_json(corr.totals()),
            "per_stream": {str(k): _stats_json(v) for k, v in corr.per_stream.items()},
            "per_sa": {str(k): _stats_json(v) for k, v in corr.per_sa.items()},
            "sa_invariants": {str(k): dict(v.__dict__) for k, v in self.sa_invariants.items()},
            "requirements_exercised": sorted(self.requirements_exercised),
            "requirements_failed": sorted(self.requirements_failed),
            "findings": [f.to_json() for f in self.findings],
        }

    def render(self, *, max_findings: int = 50, dissect: bool = False) -> str:
        """Summary, per-requirement tally and the first findings with hex diffs."""
        t = self.correlation.totals()
        lines = [
            f"verdict: {'PASS' if self.passed else 'FAIL'} (profile {self.profile})",
            f"packets: expected {self.expected_kinds}, drops {self.expected_drops}",
            f"delivery: delivered {t.delivered}/{t.expected}, lost {t.lost}, duplicated {t.duplicated}, "
            f"reordered {t.reordered}, unexpected {t.unexpected}",
            f"findings: {self.count(Severity.FAIL)} FAIL, {self.count(Severity.WARN)} WARN, "
            f"{self.count(Severity.INFO)} INFO",
        ]
        tally = Counter((f.severity.value, f.requirement) for f in self.findings)
        for (sev, rid), n in sorted(tally.items()):
            lines.append(f"  {sev} {rid} x{n}: {requirement(rid).text}")
        for f in self.findings[:max_findings]:
            lines.append(f.render(dissect=dissect))
        if len(self.findings) > max_findings:
            lines.append(f"... {len(self.findings) - max_findings} more findings")
        return "\n".join(lines)
