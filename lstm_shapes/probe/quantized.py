"""Dynamic-quantized recurrent modules (``torch.ao.quantization.quantize_dynamic``).

Their state dict holds packed objects instead of weight tensors: a cell's
``<cell>._packed_weight_ih`` / ``_packed_weight_hh`` (``LinearPackedParamsBase``, whose state
is ``((weight, bias), name)``) and an LSTM's or GRU's ``<module>._all_weight_values.<i>.param``
(``CellParamsBase``, whose state is ``((kind, [bias_ih, bias_hh], ..., [packed_ih,
packed_hh]), name)``), one per layer and direction. The unpickler reads them as placeholders
with the quantized weight tensors inside; this module gives those tensors back their plain
names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ``weight_ih``) so the ordinary inference
applies. Entry ``i`` is layer ``i // D``, direction ``i % D``; ``D`` is whichever of 1 and 2
gives shapes some nn.LSTM or nn.GRU has.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lstm_shapes.errors import SpecError
from lstm_shapes.probe.unpickle import Opaque, TensorRecord
from lstm_shapes.theory.weights import infer_module

PACKED_CELL = re.compile(r"^(?:(?P<prefix>.*)\.)?_packed_weight_(?P<which>ih|hh)$")
PACKED_LAYER = re.compile(r"^(?:(?P<prefix>.*)\.)?_all_weight_values\.(?P<index>\d+)\.param$")


def is_packed(key: str) -> bool:
    return PACKED_CELL.match(key) is not None or PACKED_LAYER.match(key) is not None


def packed_prefix(key: str) -> str:
    match = PACKED_CELL.match(key) or PACKED_LAYER.match(key)
    return (match["prefix"] or "") if match else ""


def _inner(obj: Any) -> tuple[Any, ...] | None:
    """The state a ScriptObject was pickled with, without its class name."""
    if not isinstance(obj, Opaque):
        return None
    state = obj.opaque_state
    if isinstance(state, tuple) and len(state) == 2 and isinstance(state[0], tuple):
        return state[0]
    return None


def _linear(obj: Any) -> tuple[TensorRecord, TensorRecord | None] | None:
    inner = _inner(obj)
    if not inner or not isinstance(inner[0], TensorRecord):
        return None
    bias = inner[1] if len(inner) > 1 and isinstance(inner[1], TensorRecord) else None
    return inner[0], bias


def _layer(obj: Any) -> dict[str, TensorRecord] | None:
    """``weight_ih``, ``weight_hh`` and the biases of one layer and direction."""
    inner = _inner(obj)
    if not inner or len(inner) < 3:
        return None
    biases, packed = inner[1], inner[-1]
    if not isinstance(packed, list) or len(packed) != 2:
        return None
    ih, hh = _linear(packed[0]), _linear(packed[1])
    if ih is None or hh is None:
        return None
    params = {"weight_ih": ih[0], "weight_hh": hh[0]}
    if (
        isinstance(biases, list)
        and len(biases) == 2
        and all(isinstance(b, TensorRecord) for b in biases)
    ):
        params.update({"bias_ih": biases[0], "bias_hh": biases[1]})
    return params


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def unpack(mapping: Mapping[str, Any]) -> dict[str, TensorRecord]:
    """The quantized weight tensors of every packed module in ``mapping``, under the keys
    a float module's state dict would use. Packed objects that cannot be read are left out
    (the caller names them)."""
    found: dict[str, TensorRecord] = {}
    layers: dict[str, dict[int, dict[str, TensorRecord]]] = {}
    for key, value in mapping.items():
        cell = PACKED_CELL.match(key)
        if cell is not None:
            linear = _linear(value)
            if linear is not None:
                prefix, which = cell["prefix"] or "", cell["which"]
                found[_join(prefix, f"weight_{which}")] = linear[0]
                if linear[1] is not None:
                    found[_join(prefix, f"bias_{which}")] = linear[1]
            continue
        layer = PACKED_LAYER.match(key)
        params = _layer(value) if layer is not None else None
        if layer is not None and params is not None:
            layers.setdefault(layer["prefix"] or "", {})[int(layer["index"])] = params
    for prefix, entries in layers.items():
        found.update(_layer_keys(prefix, entries))
    order = list(dict.fromkeys(packed_prefix(key) for key in mapping if is_packed(key)))
    return dict(sorted(found.items(), key=lambda item: order.index(_prefix_of(item[0]))))


def _prefix_of(key: str) -> str:
    return key.rpartition(".")[0]


def _layer_keys(
    prefix: str, entries: dict[int, dict[str, TensorRecord]]
) -> dict[str, TensorRecord]:
    """Entry ``i`` named as layer ``i // D`` (``_reverse`` when ``i % D == 1``), for the one
    ``D`` whose shapes fit; nothing when none does."""
    if sorted(entries) != list(range(len(entries))):
        return {}
    fits: list[dict[str, TensorRecord]] = []
    for directions in (1, 2):
        if len(entries) % directions:
            continue
        named = {
            f"{name}_l{i // directions}{'_reverse' if i % directions else ''}": record
            for i, params in entries.items()
            for name, record in params.items()
        }
        try:
            infer_module(prefix, {k: v.shape for k, v in named.items()})
        except SpecError:
            continue
        fits.append(named)
    if len(fits) > 1:
        raise SpecError(
            f"the dynamic-quantized module {prefix!r} has {len(entries)} packed layers whose "
            "shapes fit both a bidirectional module and a one-directional one with twice the "
            "layers; its packed weights cannot tell which"
        )
    return {_join(prefix, k): v for k, v in fits[0].items()} if fits else {}
