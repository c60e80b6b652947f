"""Findings grouped for people: one entry per distinct problem instead of one per frame.

Two findings are the same problem when severity, requirement and field are equal and their
expected and observed values match once every number in them is masked (``seq 7`` and
``seq 8`` are one pattern, ``ttl 64`` vs ``ttl 63`` too; the distinct values are kept and
shown). Groups are ordered FAIL, WARN, INFO, then by how many tests and frames they hit.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from harness.results.record import FindingRecord, RunRecord
from reports.conformance import Status, verdict_status

SEVERITY_ORDER = ("FAIL", "WARN", "INFO")
_NUMBER = re.compile(r"[0-9A-Fa-f]*[0-9][0-9A-Fa-f]*")
MAX_EXAMPLES = 3
MAX_VALUES = 5


def value_pattern(text: str) -> str:
    """``text`` with every token holding a digit (decimal, hex, MAC octets) replaced by ``#``."""
    return _NUMBER.sub("#", text)


@dataclass(frozen=True)
class Example:
    """One occurrence: the test it came from and the packet it names."""

    test_id: str
    packet: str
    expected: str
    observed: str


@dataclass(frozen=True)
class FindingGroup:
    severity: str
    requirement: str
    field: str
    count: int  # findings (usually frames) in the group
    tests: tuple[str, ...]  # distinct test ids, first seen first
    examples: tuple[Example, ...]  # the first MAX_EXAMPLES occurrences
    expected_values: tuple[str, ...]  # distinct, first MAX_VALUES
    observed_values: tuple[str, ...]
    distinct_expected: int  # how many distinct values in all (the tuples above are cut)
    distinct_observed: int
    detail: str  # the detail when every finding has the same one, else ""
    hexdiff: str  # the first non-empty hex diff
    expected_failure: bool  # every test in the group is an xfail (known problem)


@dataclass
class _Acc:
    count: int
    tests: dict[str, None]
    examples: list[Example]
    expected: dict[str, None]
    observed: dict[str, None]
    details: dict[str, None]
    hexdiff: str
    all_xfail: bool


def _key(f: FindingRecord) -> tuple[str, str, str, str, str]:
    return (f.severity, f.requirement, f.field, value_pattern(f.expected), value_pattern(f.observed))


def group_findings(items: Iterable[tuple[str, bool, FindingRecord]]) -> list[FindingGroup]:
    """``items`` are (test id, test is an expected failure, finding)."""
    acc: dict[tuple[str, str, str, str, str], _Acc] = {}
    for test_id, xfail, f in items:
        a = acc.setdefault(_key(f), _Acc(0, {}, [], {}, {}, {}, "", True))
        a.count += 1
        a.tests[test_id] = None
        if len(a.examples) < MAX_EXAMPLES:
            a.examples.append(Example(test_id, f.packet, f.expected, f.observed))
        a.expected.setdefault(f.expected, None)
        a.observed.setdefault(f.observed, None)
        a.details.setdefault(f.detail, None)
        a.hexdiff = a.hexdiff or f.hexdiff
        a.all_xfail = a.all_xfail and xfail
    groups = [FindingGroup(k[0], k[1], k[2], a.count, tuple(a.tests), tuple(a.examples),
                           tuple(list(a.expected)[:MAX_VALUES]), tuple(list(a.observed)[:MAX_VALUES]),
                           len(a.expected), len(a.observed), next(iter(a.details)) if len(a.details) == 1 else "",
                           a.hexdiff, a.all_xfail) for k, a in acc.items()]
    return sorted(groups, key=lambda g: (_severity_rank(g.severity), g.expected_failure, -len(g.tests),
                                         -g.count, g.requirement, g.field))


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def record_findings(record: RunRecord) -> list[FindingGroup]:
    """The run's findings grouped; findings of xfail tests are marked as expected failures."""
    return group_findings(
        (v.test_id, verdict_status(v) is Status.XFAIL, f)
        for v in record.verdicts for f in v.findings)
