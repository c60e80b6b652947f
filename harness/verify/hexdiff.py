"""Short hex diffs of expected vs observed bytes, for findings people read."""
from __future__ import annotations


def first_difference(expected: bytes, observed: bytes) -> int | None:
    """Offset of the first differing byte (a length difference counts), or None if equal."""
    if expected == observed:
        return None
    for i, (a, b) in enumerate(zip(expected, observed)):
        if a != b:
            return i
    return min(len(expected), len(observed))


def _row(data: bytes, start: int, width: int) -> str:
    return " ".join(f"{data[i]:02x}" if i < len(data) else "  " for i in range(start, start + width))


def _marks(expected: bytes, observed: bytes, start: int, width: int) -> str:
    out = []
    for i in range(start, start + width):
        a = expected[i] if i < len(expected) else None
        b = observed[i] if i < len(observed) else None
        out.append("  " if a == b else "^^")
    return " ".join(out)


def hexdiff(expected: bytes, observed: bytes, *, width: int = 16, max_rows: int = 4) -> str:
    """Rows of ``width`` bytes around the differences: expected, observed and a ``^^`` marker line.

    Only rows that contain a difference are shown (at most ``max_rows``); an empty string
    when the bytes are equal.
    """
    if expected == observed:
        return ""
    length = max(len(expected), len(observed))
    lines = [f"expected {len(expected)} bytes, observed {len(observed)} bytes"]
    shown = 0
    for start in range(0, length, width):
        end = start + width
        if expected[start:end] == observed[start:end]:
            continue
        if shown == max_rows:
            lines.append("  ... more differences")
            break
        lines.append(f"  {start:04x} exp {_row(expected, start, width)}")
        lines.append(f"       obs {_row(observed, start, width)}")
        lines.append(f"           {_marks(expected, observed, start, width)}")
        shown += 1
    return "\n".join(lines)
