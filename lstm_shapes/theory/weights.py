"""From parameter names and shapes to the ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` that made them.

Pure logic, no torch: a state dict is read as ``{name: shape}``. Every recurrent module is
found from its parameter names (``<prefix>.weight_ih_l0``, ``..._reverse``, ``weight_hr_...``)
and its configuration is inferred without guessing:

- ``hidden_size`` is the number of columns of ``weight_hr_l0`` when the module has a
  projection, else of ``weight_hh_l0`` (whose columns are ``H_out``, which equals
  ``hidden_size`` without a projection);
- the kind is the number of gate blocks, ``rows(weight_ih_l0) / hidden_size``: 4 LSTM,
  3 GRU, 1 RNN;
- ``input_size`` is the number of columns of ``weight_ih_l0``; ``num_layers``, ``bias``,
  ``bidirectional`` and ``proj_size`` come from which names exist.

Then every parameter is compared with what :func:`lstm_shapes.theory.shapes.parameter_shapes`
predicts for that configuration; any difference is a :class:`SpecError` naming the tensor.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import ModuleSpec
from lstm_shapes.theory import shapes as theory

#: ``weight_ih_l0``, ``bias_hh_l3_reverse``, ``weight_hr_l1``: what nn.RNNBase names its
#: parameters.
PARAM_NAME = re.compile(
    r"^(?:(?P<prefix>.*)\.)?(?P<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)
GATES_TO_KIND = {4: "lstm", 3: "gru", 1: "rnn"}
#: What the weights of a recurrent module cannot tell.
NOT_IN_WEIGHTS = {
    "lstm": ("batch_first", "dropout"),
    "gru": ("batch_first", "dropout"),
    "rnn": ("batch_first", "dropout", "nonlinearity"),
}


@dataclass(frozen=True)
class InferredModule:
    """One recurrent module found in a state dict: where its parameters live (``name``,
    the key prefix, ``""`` for a bare module) and the configuration they imply."""

    name: str
    module: ModuleSpec
    parameter_names: tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.module.kind

    @property
    def unknown(self) -> tuple[str, ...]:
        """Constructor arguments the weights cannot tell."""
        return NOT_IN_WEIGHTS[self.module.kind]

    def key(self, parameter: str) -> str:
        """The state-dict key of one of this module's parameters."""
        return f"{self.name}.{parameter}" if self.name else parameter

    def as_dict(self) -> dict[str, object]:
        m = self.module
        return {
            "name": self.name,
            "kind": m.kind,
            "input_size": m.input_size,
            "hidden_size": m.hidden_size,
            "num_layers": m.num_layers,
            "bias": m.bias,
            "bidirectional": m.bidirectional,
            "proj_size": m.proj_size,
        }


def _shape_text(shape: Sequence[int]) -> str:
    return str(tuple(shape))


def _where(prefix: str) -> str:
    return f"module {prefix!r}" if prefix else "the top-level module"


def recurrent_groups(
    shapes: Mapping[str, Sequence[int]],
) -> dict[str, dict[str, tuple[int, ...]]]:
    """The keys that look like recurrent parameters, grouped by prefix:
    ``{"encoder.lstm": {"weight_ih_l0": (80, 10), ...}}``, in first-seen order."""
    groups: dict[str, dict[str, tuple[int, ...]]] = {}
    for key, shape in shapes.items():
        match = PARAM_NAME.match(key)
        if match is None:
            continue
        prefix = match.group("prefix") or ""
        local = key[len(prefix) + 1 :] if prefix else key
        groups.setdefault(prefix, {})[local] = tuple(int(s) for s in shape)
    return groups


def infer_module(prefix: str, params: Mapping[str, tuple[int, ...]]) -> InferredModule:
    """The configuration implied by one group of parameters (names without the prefix).

    Raises :class:`SpecError` when the shapes are inconsistent with every nn.LSTM, nn.GRU
    and nn.RNN."""
    where = _where(prefix)

    def key(name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def matrix(name: str) -> tuple[int, int]:
        shape = params[name]
        if len(shape) != 2 or 0 in shape:
            raise SpecError(
                f"inconsistent shapes in {where}: {key(name)} has shape {_shape_text(shape)}, "
                "but a recurrent weight is a non-empty matrix (rows, columns)"
            )
        return shape[0], shape[1]

    for needed in ("weight_ih_l0", "weight_hh_l0"):
        if needed not in params:
            raise SpecError(
                f"inconsistent shapes in {where}: it has {key(sorted(params)[0])} but no "
                f"{key(needed)}; every nn.LSTM, nn.GRU and nn.RNN has both weight_ih_l0 "
                "and weight_hh_l0"
            )
    ih_rows, input_size = matrix("weight_ih_l0")
    _, hh_columns = matrix("weight_hh_l0")
    proj_size = 0
    if "weight_hr_l0" in params:
        proj_size, hidden_size = matrix("weight_hr_l0")
        if proj_size >= hidden_size:
            raise SpecError(
                f"inconsistent shapes in {where}: {key('weight_hr_l0')} is "
                f"{_shape_text(params['weight_hr_l0'])} = (proj_size, hidden_size), but "
                "nn.LSTM needs proj_size < hidden_size"
            )
    else:
        hidden_size = hh_columns
    if ih_rows % hidden_size or ih_rows // hidden_size not in GATES_TO_KIND:
        raise SpecError(
            f"inconsistent shapes in {where}: {key('weight_ih_l0')} has {ih_rows} rows, "
            f"which is not 4, 3 or 1 gate blocks of hidden_size={hidden_size} "
            f"(LSTM {4 * hidden_size}, GRU {3 * hidden_size}, RNN {hidden_size})"
        )
    kind = GATES_TO_KIND[ih_rows // hidden_size]
    if proj_size and kind != "lstm":
        raise SpecError(
            f"inconsistent shapes in {where}: it has {key('weight_hr_l0')} (a projection), "
            f"which only nn.LSTM has, but {key('weight_ih_l0')} has "
            f"{ih_rows // hidden_size} gate blocks, not 4"
        )
    layers = {int(PARAM_NAME.match(name).group("layer")) for name in params}  # type: ignore[union-attr]
    num_layers = max(layers) + 1
    module = ModuleSpec(
        input_size=input_size,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bias="bias_ih_l0" in params,
        bidirectional="weight_ih_l0_reverse" in params,
        proj_size=proj_size,
        kind=kind,
    )
    expected = {p.name: p.shape for p in theory.parameter_shapes(module)}
    built = f"{module.constructor()} (inferred from its layer-0 weights)"
    for name, shape in expected.items():
        if name not in params:
            raise SpecError(
                f"inconsistent shapes in {where}: {key(name)} is missing, but {built} has it"
            )
        if params[name] != shape:
            raise SpecError(
                f"inconsistent shapes in {where}: {key(name)} has shape "
                f"{_shape_text(params[name])}, but {built} needs {_shape_text(shape)}"
            )
    for name in params:
        if name not in expected:
            raise SpecError(
                f"inconsistent shapes in {where}: {key(name)} does not belong to {built}"
            )
    return InferredModule(prefix, module, tuple(expected))


def infer_modules(shapes: Mapping[str, Sequence[int]]) -> list[InferredModule]:
    """Every recurrent module in a state dict given as ``{key: shape}``, in key order.

    An empty list when no key is named like a recurrent parameter; :class:`SpecError`
    when a group of such keys cannot come from any nn.LSTM, nn.GRU or nn.RNN.

    >>> [m.module.constructor() for m in infer_modules({
    ...     "rnn.weight_ih_l0": (60, 10), "rnn.weight_hh_l0": (60, 20)})]
    ['nn.GRU(input_size=10, hidden_size=20, bias=False)']
    """
    return [infer_module(prefix, params) for prefix, params in recurrent_groups(shapes).items()]
