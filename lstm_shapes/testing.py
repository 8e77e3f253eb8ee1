"""Helpers for your own test suite: :func:`assert_lstm_shapes` fails a test with the
message ``lstm-shapes check`` prints (like ``torch.testing`` or ``numpy.testing``)."""

from __future__ import annotations

from typing import Any

from lstm_shapes.render.check import check_message
from lstm_shapes.report.check import CheckResult, check


def assert_lstm_shapes(
    module_or_spec: Any,
    /,
    *,
    input: object = None,
    h0: object = None,
    c0: object = None,
    input_dtype: object = None,
    **expect: object,
) -> CheckResult:
    """Raise ``AssertionError`` with the CLI's message unless the shapes check out.

    ``module_or_spec`` is a real ``nn.LSTM``/``GRU``/``RNN``, one of their cells, or a
    :class:`Spec`; ``input``/``h0``/``c0`` are shapes to feed; every other keyword is an
    expected shape (``output=(3, 7, 40)``, ``None`` for any size in a dimension).

    >>> from lstm_shapes import make_spec
    >>> spec = make_spec(input_size=10, hidden_size=20, batch_first=True)
    >>> _ = assert_lstm_shapes(spec, input=(3, 7, 10), output=(3, 7, 20), hn=(1, 3, 20))
    >>> cell = make_spec(input_size=10, hidden_size=20, kind="lstmcell")
    >>> _ = assert_lstm_shapes(cell, input=(3, 10), h0=(3, 20), h1=(3, 20), c1=(3, 20))
    """
    result = check(
        module_or_spec,
        input_shape=input,
        h0_shape=h0,
        c0_shape=c0,
        input_dtype=input_dtype,
        expect=expect,
    )
    if not result.passed:
        raise AssertionError(check_message(result))
    return result
