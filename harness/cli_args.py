"""argparse value types shared by the harness's command lines (``ipsec-harness``, the pytest plugin)."""
from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An integer >= 1, else argparse's usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
