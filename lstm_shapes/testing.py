"""Helpers for your own test suite: :func:`assert_lstm_shapes` fails a test with the
message ``lstm-shapes check`` prints (like ``torch.testing`` or ``numpy.testing``)."""

from __future__ import annotations

from lstm_shapes.api import ShapeAssertionError, assert_lstm_shapes

__all__ = ["ShapeAssertionError", "assert_lstm_shapes"]
