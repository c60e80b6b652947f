"""Run-record pieces of the pytest plugin (``harness.pytest_plugin`` imports this lazily):
per-test coverage fields (requirements exercised and failed, oracle counts), verdicts as plain
data for pytest-xdist's worker-to-controller channel, the run's oracle summary, and parameter
freezing and cfg-hash combination for the record.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.results.record import RESERVED_COLUMNS, FindingRecord, Outcome, Params, Verdict, freeze_params

if TYPE_CHECKING:
    from harness.exchange import Exchange

ORACLE_NAMES = ("scapy", "tshark")
ORACLE_AGREEMENTS = ("agree", "disagree", "not_checkable")


def coverage_params(exchanges: Sequence[Exchange]) -> dict[str, Any]:
    """Requirement ids exercised and failed (comma-separated; a failed id counts as exercised)
    and, with oracles, per-oracle counts of sampled frames agreed, disagreed, not checkable."""
    if not exchanges:
        return {}
    failed = frozenset().union(*(ex.result.requirements_failed for ex in exchanges))
    exercised = failed.union(*(ex.result.requirements_exercised for ex in exchanges))
    out: dict[str, Any] = {"requirements_exercised": ",".join(sorted(exercised)),
                           "requirements_failed": ",".join(sorted(failed))}
    reports = [ex.oracle for ex in exchanges if ex.oracle is not None]
    if reports:
        totals: Counter[str] = Counter()
        for report in reports:
            for name, counts in report.coverage().items():
                totals.update({f"oracle_{name}_{k.replace('-', '_')}": n for k, n in counts.items()})
        out |= {f"oracle_{name}_{k}": totals[f"oracle_{name}_{k}"] for name in ORACLE_NAMES for k in ORACLE_AGREEMENTS}
    return out


def verdict_to_wire(v: Verdict) -> dict[str, Any]:
    """A verdict as plain data for xdist's worker-to-controller channel (the record's JSON form)."""
    return {"test_id": v.test_id, "test": v.test, "outcome": v.outcome.value, "params": dict(v.params),
            "duration_s": v.duration_s, "message": v.message, "findings": [vars(f) for f in v.findings]}


def verdict_from_wire(raw: dict[str, Any]) -> Verdict:
    return Verdict(raw["test_id"], raw["test"], Outcome(raw["outcome"]), freeze_params(raw["params"]),
                   float(raw["duration_s"]), tuple(FindingRecord(**f) for f in raw["findings"]), raw["message"])


def oracle_summary(verdicts: Sequence[Verdict]) -> list[str]:
    """Which oracle checked what over the run: per oracle the sampled frames it agreed on,
    disagreed on and could not check, and each reason it could not check with its tests."""
    totals: Counter[str] = Counter()
    reasons: dict[tuple[str, str], set[str]] = {}
    for v in verdicts:
        params = dict(v.params)
        totals.update({k: int(params.get(f"oracle_{k}", 0)) for k in
                       (f"{n}_{a}" for n in ORACLE_NAMES for a in ORACLE_AGREEMENTS)})
        for f in v.findings:
            if f.requirement == "X-ORACLE" and f.severity == "INFO":
                why = f.observed.removeprefix("not checkable: ")
                reasons.setdefault((f.field.removeprefix("oracle."), why), set()).add(v.test_id)
    lines = ["ipsec-harness oracles (sampled egress ESP frames): " + "; ".join(
        f"{n} agreed {totals[f'{n}_agree']}, disagreed {totals[f'{n}_disagree']}, "
        f"not checkable {totals[f'{n}_not_checkable']}" for n in ORACLE_NAMES)]
    lines += [f"  {oracle} could not check: {why} ({len(tests)} tests)"
              for (oracle, why), tests in sorted(reasons.items())]
    return lines


# Test parameters whose names are table columns of the results (``direction`` is a metric's
# direction there) are recorded under these names instead of being lost.
_RENAMED_PARAMS = {"direction": "traffic_direction"}


def freeze(params: dict[str, Any]) -> Params:
    renamed = {_RENAMED_PARAMS.get(k, k): v for k, v in params.items()}
    return freeze_params({k: v for k, v in renamed.items() if k not in RESERVED_COLUMNS})


def combined_hash(hashes: set[str]) -> str:
    """The one cfg's sha256, or for several cfgs the sha256 of their sorted hashes (each test's
    own cfg hash is in its verdict's ``scenario_cfg_sha256``)."""
    if len(hashes) <= 1:
        return next(iter(hashes), "")
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


