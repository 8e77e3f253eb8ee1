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

Cells (``nn.LSTMCell``, ``nn.GRUCell``, ``nn.RNNCell``) name their parameters without a layer
suffix (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) and are found the same way.
Before grouping, :func:`canonical_shapes` maps the names that weight norm, weight drop and
other parametrizations give a weight back to the plain parameter they stand for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from lstm_shapes.errors import SpecError
from lstm_shapes.spec.core import ModuleSpec
from lstm_shapes.theory import shapes as theory

#: ``weight_ih_l0``, ``bias_hh_l3_reverse``, ``weight_hr_l1``: what nn.RNNBase names its
#: parameters.
PARAM_NAME = re.compile(
    r"^(?:(?P<prefix>.*)\.)?(?P<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$"
)
#: ``weight_ih``, ``bias_hh``: what nn.LSTMCell / nn.GRUCell / nn.RNNCell name theirs.
CELL_PARAM_NAME = re.compile(
    r"^(?:(?P<prefix>.*)\.)?(?P<param>weight_ih|weight_hh|bias_ih|bias_hh)$"
)
GATES_TO_KIND = {4: "lstm", 3: "gru", 1: "rnn"}
GATES_TO_CELL = {4: "lstmcell", 3: "grucell", 1: "rnncell"}
#: What the weights of a recurrent module cannot tell.
NOT_IN_WEIGHTS = {
    "lstm": ("batch_first", "dropout"),
    "gru": ("batch_first", "dropout"),
    "rnn": ("batch_first", "dropout", "nonlinearity"),
    "lstmcell": (),
    "grucell": (),
    "rnncell": ("nonlinearity",),
}


#: The local name of any recurrent parameter, of a module or of a cell.
RECURRENT_LOCAL = re.compile(
    r"^(?:weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)(?:_l\d+(?:_reverse)?)?$"
)
#: ``lstm.parametrizations.weight_hh_l0.original`` (any parametrization) or ``.original0`` /
#: ``.original1`` (weight norm's g and v): what torch.nn.utils.parametrize stores.
PARAMETRIZED = re.compile(
    r"^(?:(?P<prefix>.*)\.)?parametrizations\.(?P<param>[^.]+)\.original(?P<index>\d*)$"
)
#: ``weight_hh_l0_g`` / ``_v`` (the old torch.nn.utils.weight_norm) and ``weight_hh_l0_raw``
#: (weight drop: AWD-LSTM's WeightDrop, fastai's WeightDropout).
SUFFIXED = re.compile(r"^(?:(?P<prefix>.*)\.)?(?P<param>[^.]+)_(?P<suffix>g|v|raw)$")


@dataclass(frozen=True)
class WeightVariant:
    """A recurrent parameter stored under other names.

    ``kind`` is ``"weight_norm"`` (``stored`` = the keys of g and v: the weight is
    ``g * v / ||v||``, norms over every dimension but the first), ``"parametrization"``
    (``stored`` = the one key of the original, which has the weight's shape) or
    ``"weight_drop"`` (``stored`` = the ``_raw`` key: the weight before DropConnect)."""

    kind: str
    key: str
    stored: tuple[str, ...]

    def describe(self) -> str:
        stored = " and ".join(self.stored)
        if self.kind == "weight_norm":
            return (
                f"{self.key} is stored as weight norm's g and v ({stored}): the weight is "
                "g * v / ||v||, with the shape of v"
            )
        if self.kind == "weight_drop":
            return (
                f"{self.key} is stored as {stored} (weight drop, as in AWD-LSTM and fastai: "
                "the weight before DropConnect, with the same shape)"
            )
        return (
            f"{self.key} is stored as {stored} (a torch.nn.utils.parametrize "
            "parametrization computes the weight from it; shown with the same shape)"
        )


def _join(prefix: str | None, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _weight_norm_pair(
    key: str, parts: Mapping[str, str], shapes: Mapping[str, tuple[int, ...]]
) -> WeightVariant | None:
    """``g`` (one number per row) and ``v`` (the weight's shape): weight norm over dim 0."""
    if set(parts) != {"g", "v"}:
        return None
    g, v = shapes[parts["g"]], shapes[parts["v"]]
    if not v or math.prod(g) != v[0] or (len(g) > 1 and g[0] != v[0]):
        return None
    return WeightVariant("weight_norm", key, (parts["g"], parts["v"]))


def canonical_shapes(
    shapes: Mapping[str, Sequence[int]],
) -> tuple[dict[str, tuple[int, ...]], dict[str, WeightVariant]]:
    """The state dict with every recognised variant name of a recurrent parameter replaced
    by the parameter's own key (and shape), and what each replaced key was stored as.

    >>> plain, variants = canonical_shapes({
    ...     "rnn.parametrizations.weight_hh_l0.original0": (80, 1),
    ...     "rnn.parametrizations.weight_hh_l0.original1": (80, 20)})
    >>> plain, variants["rnn.weight_hh_l0"].kind
    ({'rnn.weight_hh_l0': (80, 20)}, 'weight_norm')
    """
    sized = {key: tuple(int(s) for s in shape) for key, shape in shapes.items()}
    groups: dict[str, dict[str, str]] = {}  # plain key -> {part: stored key}
    raw: dict[str, str] = {}  # stored _raw key -> its module prefix and parameter
    for key in sized:
        found = PARAMETRIZED.match(key)
        if found and RECURRENT_LOCAL.match(found["param"]):
            part = {"": "original", "0": "g", "1": "v"}.get(found["index"], found["index"])
            groups.setdefault(_join(found["prefix"], found["param"]), {})[part] = key
            continue
        found = SUFFIXED.match(key)
        if found and RECURRENT_LOCAL.match(found["param"]):
            if found["suffix"] == "raw":
                raw[key] = _join(found["prefix"], found["param"])
            else:
                groups.setdefault(_join(found["prefix"], found["param"]), {})[found["suffix"]] = key
    replaced: dict[str, WeightVariant] = {}
    for plain, parts in groups.items():
        if plain in sized:
            continue
        if set(parts) == {"original"}:
            replaced[plain] = WeightVariant("parametrization", plain, (parts["original"],))
        else:
            variant = _weight_norm_pair(plain, parts, sized)
            if variant is not None:
                replaced[plain] = variant
    for stored, plain in raw.items():
        replaced.update(_weight_drop(stored, plain, sized))
    hidden = {k for variant in replaced.values() for k in variant.stored}
    at_last_stored = {variant.stored[-1]: plain for plain, variant in replaced.items()}
    out: dict[str, tuple[int, ...]] = {}
    for key, shape in sized.items():
        if key in at_last_stored:  # the weight's shape is that of v, or of the original
            out[at_last_stored[key]] = shape
        elif key not in hidden:
            out[key] = shape
    return out, replaced


def _weight_drop(
    stored: str, plain: str, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, WeightVariant]:
    """Where the module of a ``_raw`` weight is: beside it (AWD-LSTM's WeightDrop keeps the
    raw weight in the wrapped module) or one level down, in ``.module`` (fastai's
    WeightDropout keeps it in the wrapper)."""
    prefix, _, name = plain.rpartition(".")
    inner = _join(_join(prefix, "module"), name)
    inner_prefix = _join(prefix, "module") + "."
    if plain not in shapes and any(k.startswith(inner_prefix) for k in shapes):
        plain = inner
    if plain in shapes:  # the dropped-out copy is stored too (fastai v1): read that one
        return {}
    return {plain: WeightVariant("weight_drop", plain, (stored,))}


@dataclass(frozen=True)
class InferredModule:
    """One recurrent module found in a state dict: where its parameters live (``name``,
    the key prefix, ``""`` for a bare module) and the configuration they imply."""

    name: str
    module: ModuleSpec
    parameter_names: tuple[str, ...]
    #: the parameters stored under another name (weight norm, weight drop, ...)
    variants: tuple[WeightVariant, ...] = ()

    @property
    def is_cell(self) -> bool:
        return self.module.is_cell

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
        if m.is_cell:  # no layers, directions or projection to report
            return {
                "name": self.name,
                "kind": m.kind,
                "input_size": m.input_size,
                "hidden_size": m.hidden_size,
                "bias": m.bias,
            }
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


def cell_groups(
    shapes: Mapping[str, Sequence[int]],
) -> dict[str, dict[str, tuple[int, ...]]]:
    """The keys that look like cell parameters (``weight_ih``, no ``_l0``), grouped by
    prefix, in first-seen order."""
    groups: dict[str, dict[str, tuple[int, ...]]] = {}
    for key, shape in shapes.items():
        match = CELL_PARAM_NAME.match(key)
        if match is not None:
            prefix = match.group("prefix") or ""
            groups.setdefault(prefix, {})[match.group("param")] = tuple(int(s) for s in shape)
    return groups


def infer_cell(prefix: str, params: Mapping[str, tuple[int, ...]]) -> InferredModule:
    """The nn.LSTMCell / nn.GRUCell / nn.RNNCell implied by one group of cell parameters:
    ``hidden_size`` is the columns of ``weight_hh``, the kind its rows / ``hidden_size``.

    Raises :class:`SpecError` when the shapes fit no cell."""
    where = _where(prefix)

    def key(name: str) -> str:
        return _join(prefix, name)

    for needed in ("weight_ih", "weight_hh"):
        if needed not in params:
            raise SpecError(
                f"inconsistent shapes in {where}: it has {key(sorted(params)[0])} but no "
                f"{key(needed)}; every nn.LSTMCell, nn.GRUCell and nn.RNNCell has both "
                "weight_ih and weight_hh"
            )
    for name in ("weight_ih", "weight_hh"):
        shape = params[name]
        if len(shape) != 2 or 0 in shape:
            raise SpecError(
                f"inconsistent shapes in {where}: {key(name)} has shape {_shape_text(shape)}, "
                "but a recurrent weight is a non-empty matrix (rows, columns)"
            )
    rows, input_size = params["weight_ih"]
    hidden_size = params["weight_hh"][1]
    if rows % hidden_size or rows // hidden_size not in GATES_TO_CELL:
        raise SpecError(
            f"inconsistent shapes in {where}: {key('weight_ih')} has {rows} rows, which is "
            f"not 4, 3 or 1 gate blocks of hidden_size={hidden_size} (LSTMCell "
            f"{4 * hidden_size}, GRUCell {3 * hidden_size}, RNNCell {hidden_size})"
        )
    cell = ModuleSpec(
        input_size=input_size,
        hidden_size=hidden_size,
        bias="bias_ih" in params,
        kind=GATES_TO_CELL[rows // hidden_size],
    )
    expected = {p.name: p.shape for p in theory.parameter_shapes(cell)}
    built = f"{cell.constructor()} (inferred from weight_ih and weight_hh)"
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
    return InferredModule(prefix, cell, tuple(expected))


def infer_modules(shapes: Mapping[str, Sequence[int]]) -> list[InferredModule]:
    """Every recurrent module and cell in a state dict given as ``{key: shape}``, in key
    order, with weight norm, weight drop and parametrization names read as the parameter
    they stand for (:func:`canonical_shapes`).

    An empty list when no key is named like a recurrent parameter; :class:`SpecError`
    when a group of such keys cannot come from any nn.LSTM, nn.GRU, nn.RNN or cell.

    >>> [m.module.constructor() for m in infer_modules({
    ...     "rnn.weight_ih_l0": (60, 10), "rnn.weight_hh_l0": (60, 20)})]
    ['nn.GRU(input_size=10, hidden_size=20, bias=False)']
    >>> [m.module.constructor() for m in infer_modules({
    ...     "decoder.weight_ih": (64, 8), "decoder.weight_hh": (64, 16)})]
    ['nn.LSTMCell(input_size=8, hidden_size=16, bias=False)']
    """
    plain, variants = canonical_shapes(shapes)
    found: list[tuple[int, InferredModule]] = []
    order = {key: k for k, key in enumerate(plain)}
    for groups, infer in (
        (recurrent_groups(plain), infer_module),
        (cell_groups(plain), infer_cell),
    ):
        for prefix, params in groups.items():
            module = infer(prefix, params)
            keys = [module.key(name) for name in module.parameter_names]
            stored = tuple(variants[k] for k in keys if k in variants)
            first = min(order[module.key(name)] for name in params)
            found.append((first, replace(module, variants=stored)))
    return [module for _, module in sorted(found, key=lambda item: item[0])]
