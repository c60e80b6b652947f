"""Small HTML building blocks shared by the report's sections: escaping, inline images,
tables from DataFrames, collapsible blocks, and number formatting with units."""
from __future__ import annotations

import base64
import html
from collections.abc import Iterable

import pandas as pd


def esc(value: object) -> str:
    return html.escape(str(value))


def img(png: bytes, alt: str, mime: str = "image/png") -> str:
    return f'<img alt="{esc(alt)}" src="data:{mime};base64,{base64.b64encode(png).decode()}">'


def figure(png: bytes, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f"<figure>{img(png, alt)}{cap}</figure>"


def details(summary: str, body: str, open_: bool = False) -> str:
    """A collapsed block; ``summary`` is already HTML."""
    return f"<details{' open' if open_ else ''}><summary>{summary}</summary>{body}</details>"


def number(value: float) -> str:
    """Thousands-separated whole numbers (55,690), 4 significant digits below 1000 (0.1235)."""
    if pd.isna(value):
        return ""
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.4g}"


def rate(pps: float) -> str:
    for scale, unit in ((1e9, "Gpps"), (1e6, "Mpps"), (1e3, "kpps")):
        if pps >= scale:
            return f"{pps / scale:.3g} {unit}"
    return f"{pps:.3g} pps"


def duration_ns(ns: float) -> str:
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def table(df: pd.DataFrame, index: bool = False, classes: str = "") -> str:
    """A DataFrame as a compact table, numbers right-aligned and thousands-separated."""
    if df.empty:
        return "<p>No data.</p>"
    out = df.to_html(index=index, float_format=number, na_rep="", border=0, classes=classes or None)
    return out.replace(' style="text-align: right;"', "")


def rows_table(header: Iterable[str], rows: Iterable[Iterable[str]], classes: str = "") -> str:
    """A table from already-escaped cell HTML (``<td ...>`` included by the caller)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    cls = f' class="{classes}"' if classes else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
