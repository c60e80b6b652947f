"""Correlation counts: delivered, lost, duplicated, reordered, unexpected."""
from __future__ import annotations

from harness.verify.correlate import Delivery, Received, Unexpected, correlate


def _rx(port: int, idx: int, key: tuple[int, int] | None, ts: int | None = None) -> Received:
    return Received(port=port, index=idx, ts_ns=idx if ts is None else ts, frame=b"", key=key)


def test_perfect_delivery() -> None:
    exp = {(1, s): Delivery(0, sa=0x10) for s in range(5)}
    c = correlate(exp, [_rx(0, s, (1, s)) for s in range(5)])
    st = c.per_stream[1]
    assert (st.expected, st.delivered, st.lost, st.duplicated, st.reordered, st.unexpected) == (5, 5, 0, 0, 0, 0)
    assert c.per_sa[0x10].delivered == 5 and c.unexpected == () and c.lost == ()


def test_loss_dup_reorder() -> None:
    exp = {(1, s): Delivery(0) for s in range(6)}
    order = [0, 2, 1, 1, 4, 5]  # 3 lost, 1 duplicated, 1 reordered
    c = correlate(exp, [_rx(0, i, (1, s)) for i, s in enumerate(order)])
    st = c.per_stream[1]
    assert (st.delivered, st.lost, st.duplicated, st.reordered) == (5, 1, 1, 1)
    assert c.lost == ((1, 3),)
    assert [u for _, u in c.unexpected] == [Unexpected.DUPLICATE]


def test_reorder_counts_by_timestamp_across_ports() -> None:
    exp = {(2, 0): Delivery(0), (2, 1): Delivery(1)}
    c = correlate(exp, [_rx(1, 0, (2, 1), ts=10), _rx(0, 0, (2, 0), ts=20)])
    assert c.per_stream[2].reordered == 1


def test_unexpected_kinds() -> None:
    exp = {(1, 0): Delivery(0), (1, 1): None, (1, 2): Delivery(0)}
    rx = [_rx(0, 0, None), _rx(0, 1, (9, 9)), _rx(0, 2, (1, 1)), _rx(1, 3, (1, 2)), _rx(0, 4, (1, 0))]
    c = correlate(exp, rx)
    assert [u for _, u in c.unexpected] == [Unexpected.NO_SIGNATURE, Unexpected.UNKNOWN_SIGNATURE,
                                           Unexpected.SHOULD_BE_DROPPED, Unexpected.WRONG_PORT]
    st = c.per_stream[1]
    assert (st.expected, st.delivered, st.lost, st.unexpected) == (2, 1, 1, 2)
    assert c.totals().unexpected == 4
