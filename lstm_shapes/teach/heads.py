"""The two heads of the tutorials, run for real on the LSTM's output.

``last``: a classifier on one summary per sequence, ``(N, K)``. ``every``: a regression on
every step, ``(N, L, K)`` or ``(L, N, K)``. Both need ``Linear(in_features=D*H_out)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_shapes.spec.core import Spec
from lstm_shapes.teach import live

HEADS = ("last", "every", "both")


@dataclass(frozen=True)
class HeadRun:
    head: str  # "last" | "every"
    features_expr: str
    features_shape: str
    linear: str
    result_shape: str
    result_symbols: str
    code: str

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = dict(self.__dict__)
        data["features_shape"] = live.shape_list(self.features_shape)
        data["result_shape"] = live.shape_list(self.result_shape)
        return data


@dataclass(frozen=True)
class HeadsRun:
    spec: Spec
    out_features: int
    in_features: int
    heads: tuple[HeadRun, ...]
    #: what torch says to ``Linear(hidden_size, K)`` on ``output``; None when it runs
    wrong_in_features_error: str | None
    #: the last step's backward half against ``hn[-1]`` (bidirectional only)
    backward_last_step_diff: float | None
    #: the summary used by the ``last`` head against the two halves of output
    summary_diff: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_features": self.out_features,
            "in_features": self.in_features,
            "heads": [h.as_dict() for h in self.heads],
            "wrong_in_features_error": self.wrong_in_features_error,
            "backward_last_step_diff": self.backward_last_step_diff,
            "summary_diff": self.summary_diff,
        }


def last_step_expr(spec: Spec) -> str:
    """The summary of each sequence: ``hn[-1]``, or both directions of the top layer."""
    if spec.module.D == 1:
        return "hn[-1]"
    return "torch.cat([hn[-2], hn[-1]], dim=1)"


def run_heads(spec: Spec, head: str, out_features: int) -> HeadsRun:
    """One torch thread when the configuration is small (see :func:`live.single_thread`)."""
    with live.single_thread(live.is_small(spec)):
        return _run_heads(spec, head, out_features)


def _run_heads(spec: Spec, head: str, out_features: int) -> HeadsRun:
    torch = live.torch_module()
    m = spec.module
    lstm = live.build(torch, m, spec.run.seed)
    x = live.make_input(torch, spec)
    in_features = m.D * m.H_out
    torch.manual_seed(spec.run.seed)
    linear = torch.nn.Linear(in_features, out_features)
    runs = []
    with torch.no_grad(), live.quiet():
        output, (hn, _) = lstm(x)
        # the expression shown by last_step_expr(), computed
        summary = hn[-1] if m.D == 1 else torch.cat([hn[-2], hn[-1]], dim=1)
        if m.D == 1:
            expected = output[:, -1] if m.batch_first else output[-1]
            backward_diff = None
        else:
            fwd = output[:, -1, : m.H_out] if m.batch_first else output[-1, :, : m.H_out]
            bwd = output[:, 0, m.H_out :] if m.batch_first else output[0, :, m.H_out :]
            expected = torch.cat([fwd, bwd], dim=1)
            wrong = output[:, -1, m.H_out :] if m.batch_first else output[-1, :, m.H_out :]
            backward_diff = live.max_abs_diff(wrong, hn[-1])
        summary_diff = live.max_abs_diff(summary, expected)
        linear_text = f"nn.Linear(in_features={in_features}, out_features={out_features})"
        if head in ("last", "both"):
            y = linear(summary)
            runs.append(
                HeadRun(
                    "last",
                    last_step_expr(spec),
                    live.fmt_shape(summary.shape),
                    linear_text,
                    live.fmt_shape(y.shape),
                    "(N, K)",
                    f"head = {linear_text}\ny = head({last_step_expr(spec)})",
                )
            )
        if head in ("every", "both"):
            y = linear(output)
            runs.append(
                HeadRun(
                    "every",
                    "output",
                    live.fmt_shape(output.shape),
                    linear_text,
                    live.fmt_shape(y.shape),
                    "(N, L, K)" if m.batch_first else "(L, N, K)",
                    f"head = {linear_text}\ny = head(output)",
                )
            )
        error = None
        if in_features != m.hidden_size:
            try:
                torch.nn.Linear(m.hidden_size, out_features)(output)
            except RuntimeError as exc:
                error = live.first_line(exc)
    return HeadsRun(
        spec, out_features, in_features, tuple(runs), error, backward_diff, summary_diff
    )
