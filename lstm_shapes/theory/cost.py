"""What a configuration costs: parameters, FLOPs, memory and a time estimate. No torch.

A cell (``nn.LSTMCell`` and siblings) is costed as one time step of one layer: ``L = 1``.

Conventions (the same as ``torch.utils.flop_counter.FlopCounterMode``): a multiply-add is
2 FLOPs, so an ``(m, k) @ (k, n)`` product costs ``2*m*k*n``. Element-wise work (bias adds,
gate activations, the cell update) is counted as 1 FLOP per element and operation, which
undercounts ``sigmoid``/``tanh``; it is a small share of the total except for tiny sizes.

The memory model follows the kernel torch picks on the CPU. Step by step
(``aten/src/ATen/native/RNN.cpp``): each layer first projects the whole sequence
(``N*L*gates*H_cell``), collects one ``h`` per step, stacks them, and concatenates the two
directions. The fused oneDNN LSTM copies the weights into its own layout on every call and
keeps the states of every step. Error bands measured per path: docs/cost.md.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from lstm_shapes.spec.core import Spec
from lstm_shapes.theory.shapes import layer_input_size, parameter_count

DTYPE_BYTES = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}

#: Element-wise operations per step and hidden unit, beyond the two bias adds:
#: LSTM: sum of the two projections (4H), 3 sigmoids + 1 tanh (4H), c = f*c + i*g (3H),
#: tanh(c) (H), h = o*tanh(c) (H). GRU: sums (3H), 2 sigmoids (2H), r*(W_hn h + b_hn)
#: (H), tanh (H), h = (1-z)*n + z*h (4H). RNN: sum (H), the nonlinearity (H).
ELEMENTWISE_PER_UNIT = {"lstm": 13, "gru": 11, "rnn": 2}

#: Weights read at every step beyond this many bytes come from memory, not the cache: half
#: the 32 MiB L3 of the machine the model was first fitted on (8, 24 and 32 MiB fitted
#: worse there; the machines it is fitted on now report 105 and 480 MiB, and this was kept).
CACHE_BYTES = 16 * 2**20

#: Weights read at every step beyond this many bytes no longer stay in the cores' own (L2)
#: caches, and come from the shared L3 at about half the speed (2 MiB per core on the
#: machines the model was fitted on).
CORE_CACHE_BYTES = 2 * 2**20

#: While a peak is measured, blocks of this many bytes or more are mappings of their own
#: (``lstm_shapes.probe.runtime.PEAK_MMAP_THRESHOLD_BYTES``); smaller ones come from glibc's
#: heap, where freed blocks stay resident.
MAPPED_BYTES = 4 * 1024

#: Building the module: allocating and initializing each layer and direction's weights.
SECONDS_PER_LAYER_BUILT = 400e-6


@dataclass(frozen=True)
class MachineRates:
    """How fast this machine runs what the time model counts
    (:mod:`lstm_shapes.probe.calibrate` measures each): a matrix product, one step and one
    call of torch's step-by-step kernel, one step and one call of the fused oneDNN kernel,
    a matrix-vector product's stream of weights, and an element-wise operation's bytes.
    ``calibration_seconds`` is 0 for the assumed rates, which hold for no machine."""

    flops_per_second: float
    seconds_per_step: float
    #: a whole call of a one-step module, beyond its one step: Python, dispatch and setup
    seconds_per_call: float = 0.0
    calibration_seconds: float = 0.0
    #: the fused kernel's cost per step and per call (at torch's threads: it meets them
    #: at every step), 0 where it was not measured (the step-by-step kernel's stand in)
    seconds_per_fused_step: float = 0.0
    seconds_per_fused_call: float = 0.0
    #: bytes of weights a matrix-vector product reads per second (what a step of a small
    #: batch is bound by), and bytes an element-wise operation reads and writes per second
    #: (a step's gates); 0 where not measured (the matrix product's FLOP rate stands in)
    weight_bytes_per_second: float = 0.0
    gate_bytes_per_second: float = 0.0
    #: whether oneDNN runs its brgemm RNN kernels here (x64 with AVX2), which read a
    #: layer's input weights again at every step; its other kernels merge the steps' input
    #: products into one (see :meth:`CostEstimate.time_terms`)
    onednn_brgemm: bool = True

    @property
    def calibrated(self) -> bool:
        return self.calibration_seconds > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "flops_per_second": round(self.flops_per_second),
            "seconds_per_step": self.seconds_per_step,
            "seconds_per_call": self.seconds_per_call,
            "seconds_per_fused_step": self.seconds_per_fused_step,
            "seconds_per_fused_call": self.seconds_per_fused_call,
            "weight_bytes_per_second": round(self.weight_bytes_per_second),
            "gate_bytes_per_second": round(self.gate_bytes_per_second),
            "onednn_brgemm": self.onednn_brgemm,
            "calibrated": self.calibrated,
            "calibration_seconds": round(self.calibration_seconds, 4),
        }


#: Used before anything is calibrated (no torch): a slow, busy 2-core CPU.
ASSUMED_RATES = MachineRates(
    flops_per_second=8e9,
    seconds_per_step=40e-6,
    seconds_per_call=100e-6,
    seconds_per_fused_step=10e-6,
    seconds_per_fused_call=300e-6,
    weight_bytes_per_second=8e9,
    gate_bytes_per_second=4e9,
)
#: How many of each term of :meth:`CostEstimate.time_terms` one pass takes, per path
#: (fused oneDNN / step-by-step) and pass (forward / training: forward + backward). Each
#: term is seconds at this machine's calibrated rates; a coefficient is the share of that
#: rate the kernel reaches (a product's FLOPs at 1/k of the calibration's throughput).
#: Fitted by benchmarks/fit_time.py (least squares on the log of the ratio) on the fitting
#: grid's measured runs on two machines (benchmarks/time-grid-results*.json);
#: benchmarks/holdout-grid.json checks them on configurations they were not fitted on
#: (docs/cost.md).
TIME_MODEL: dict[str, dict[str, dict[str, float]]] = {
    "fused": {
        "forward": {
            "fused_call": 0.928,
            "fused_layer_calls": 0.0,
            "input_projection": 1.153,
            "recurrent": 0.292,
            "spilled_weights": 0.813,
            "recurrent_weights": 0.143,
            "uncached_weights": 1.075,
            "fused_steps": 2.133,
            "weights": 7.774,
            "gates": 8.991,
            "unmerged_input_weights": 0.528,
        },
        "training": {
            "fused_call": 3.032,
            "fused_layer_calls": 0.0,
            "input_projection": 4.415,
            "recurrent": 1.883,
            "spilled_weights": 1.949,
            "recurrent_weights": 0.081,
            "uncached_weights": 4.616,
            "fused_steps": 5.775,
            "weights": 59.245,
            "gates": 29.603,
            "backward": 0.0,
            "input_weights": 0.0,
            "unmerged_input_weights": 0.0,
        },
    },
    "step-by-step": {
        "forward": {
            "call": 0.825,
            "layer_calls": 1.504,
            "input_projection": 1.057,
            "recurrent": 1.093,
            "spilled_weights": 0.796,
            "recurrent_weights": 0.509,
            "uncached_weights": 0.342,
            "lstm_steps": 1.564,
            "gru_steps": 1.474,
            "rnn_steps": 0.59,
            "projection_steps": 0.185,
            "gates": 20.055,
            "spilled_weights_f64": 1.142,
            "recurrent_weights_f64": 0.246,
            "uncached_weights_f64": 0.0,
        },
        "training": {
            "call": 14.848,
            "layer_calls": 0.0,
            "input_projection": 0.69,
            "recurrent": 0.872,
            "spilled_weights": 4.463,
            "recurrent_weights": 6.115,
            "uncached_weights": 7.641,
            "lstm_steps": 9.726,
            "gru_steps": 10.515,
            "rnn_steps": 3.393,
            "projection_steps": 1.857,
            "gates": 52.024,
            "spilled_weights_f64": 2.581,
            "recurrent_weights_f64": 5.287,
            "uncached_weights_f64": 13.524,
            "backward": 0.766,
        },
    },
}


@dataclass(frozen=True)
class LayerCost:
    """Forward FLOPs of one layer in one direction, for the whole batch and sequence."""

    layer: int
    direction: str  # "forward" | "backward"
    in_features: int
    input_projection: int  # W_ih @ x_t for every step
    recurrent_projection: int  # W_hh @ h_{t-1} for every step
    projection: int  # W_hr @ h_t (proj_size > 0 only)
    elementwise: int  # bias adds, gate activations, cell update

    @property
    def matmul(self) -> int:
        return self.input_projection + self.recurrent_projection + self.projection

    @property
    def total(self) -> int:
        return self.matmul + self.elementwise

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "direction": self.direction,
            "in_features": self.in_features,
            "input_projection": self.input_projection,
            "recurrent_projection": self.recurrent_projection,
            "projection": self.projection,
            "elementwise": self.elementwise,
            "matmul": self.matmul,
            "total": self.total,
        }


@dataclass(frozen=True)
class Memory:
    """Bytes, by what holds them. ``workspace`` is what the forward pass allocates on top
    of its inputs and outputs; ``saved_for_backward`` is what training keeps alive."""

    parameters: int
    input: int
    output: int
    states: int  # hn (and cn); h0/c0 take as much again when passed
    workspace: int
    saved_for_backward: int
    gradients: int  # one gradient per parameter
    #: what the backward pass allocates for one layer at a time (fused path)
    backward_workspace: int = 0
    #: bytes by which the parts above add up to more than the training step's modelled
    #: peak (at most the gradients): at the peak the forward's workspace is freed, or, when
    #: it comes in the forward pass (``peak_in_forward``), no gradient exists yet (as
    #: ``zero_grad(set_to_none=True)`` leaves them)
    freed_before_peak: int = 0
    peak_in_forward: bool = False

    @property
    def inference(self) -> int:
        """Peak of one forward pass without autograd."""
        return self.parameters + self.input + self.output + self.states + self.workspace

    @property
    def training(self) -> int:
        """Peak of one forward + backward pass (before the optimizer's own state)."""
        return (
            self.parameters
            + self.gradients
            + self.input
            + self.output
            + 2 * self.states
            + self.workspace
            + self.saved_for_backward
            + self.backward_workspace
            - self.freed_before_peak
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "input": self.input,
            "output": self.output,
            "states": self.states,
            "workspace": self.workspace,
            "saved_for_backward": self.saved_for_backward,
            "gradients": self.gradients,
            "backward_workspace": self.backward_workspace,
            "freed_before_peak": self.freed_before_peak,
            "peak_in_forward": self.peak_in_forward,
            "inference": self.inference,
            "training": self.training,
        }


@dataclass(frozen=True)
class CostEstimate:
    spec: Spec
    parameter_count: int
    bytes_per_element: int
    layers: tuple[LayerCost, ...]
    backward_matmul: int
    backward_elementwise: int
    memory: Memory
    #: on the step-by-step path, where the shape probe runs (the same as ``memory``
    #: unless torch's default path is the fused oneDNN kernel)
    stepwise_memory: Memory

    @property
    def parameter_bytes(self) -> int:
        return self.parameter_count * self.bytes_per_element

    @property
    def forward_matmul(self) -> int:
        return sum(c.matmul for c in self.layers)

    @property
    def forward_elementwise(self) -> int:
        return sum(c.elementwise for c in self.layers)

    @property
    def forward(self) -> int:
        return self.forward_matmul + self.forward_elementwise

    @property
    def training_matmul(self) -> int:
        """Matrix-multiply FLOPs of forward + backward."""
        return self.forward_matmul + self.backward_matmul

    @property
    def training(self) -> int:
        return self.forward + self.backward_matmul + self.backward_elementwise

    @property
    def kernel(self) -> str:
        """``onednn``, ``cudnn`` or ``step-by-step``: see :func:`kernel`."""
        return kernel(self.spec)

    @property
    def fused(self) -> bool:
        """Whether torch's CPU path is one fused oneDNN kernel (FlopCounterMode counts 0)."""
        return fused_on_cpu(self.spec)

    @property
    def steps(self) -> int:
        """Sequential steps: every layer and direction walks the whole sequence."""
        m = self.spec.module
        return self.spec.input.seq_len * m.num_layers * m.D

    def time_terms(self, rates: MachineRates = ASSUMED_RATES) -> dict[str, float]:
        """The terms :data:`TIME_MODEL` weighs, at ``rates``: the fixed cost of a call and
        of each further layer and direction (each a kernel call of its own), the input
        projections (one large product per layer and direction), the recurrent products (one
        small product per step: ``N`` rows), the bytes of weights those read again at every
        step (what bounds them when ``N`` is small; beyond :data:`CORE_CACHE_BYTES` they
        come from the shared cache, beyond :data:`CACHE_BYTES`
        from memory; in float64 terms of their own, ``*_f64``), the bytes of gates written
        and read at every step (``gates``), the fixed cost per step (per family: their steps
        run different numbers of operations), the weights (oneDNN copies them on every call)
        and the backward pass's FLOPs. Each is seconds at the rate calibrated for its kind
        of work: FLOP terms at the matrix product's rate (float64 at half of it), weight
        bytes at the matrix-vector product's, gate bytes at the element-wise operation's,
        and the fused kernel's steps and calls (``fused_*``) at its own. A coefficient is
        how many of those seconds the kernel takes; some are fitted to 0 (the table keeps
        the term, so that a refit can use it)."""
        m = self.spec.module
        size = DTYPE_BYTES[self.spec.run.dtype]
        rate = rates.flops_per_second * (0.5 if size == 8 else 1.0)
        weight_rate = rates.weight_bytes_per_second or rates.flops_per_second
        gate_rate = rates.gate_bytes_per_second or rates.flops_per_second
        recurrent = sum(c.recurrent_projection + c.projection for c in self.layers)
        weight_bytes = (m.gates * m.hidden_size * m.H_out + m.proj_size * m.hidden_size) * size
        step_seconds = self.steps * rates.seconds_per_step
        fused_call = rates.seconds_per_fused_call or rates.seconds_per_call
        # float64 products run other kernels, which read their weights at another speed
        read = {
            "recurrent_weights": self.steps * weight_bytes / weight_rate,
            "spilled_weights": self.steps * max(0, weight_bytes - CORE_CACHE_BYTES) / weight_rate,
            "uncached_weights": self.steps * max(0, weight_bytes - CACHE_BYTES) / weight_rate,
        }
        double = size == 8
        terms = {
            "call": rates.seconds_per_call,
            "layer_calls": rates.seconds_per_call * (m.num_layers * m.D - 1),
            "fused_call": fused_call,
            "fused_layer_calls": fused_call * (m.num_layers * m.D - 1),
            "fused_steps": self.steps * (rates.seconds_per_fused_step or rates.seconds_per_step),
            "input_projection": sum(c.input_projection for c in self.layers) / rate,
            "recurrent": recurrent / rate,
            **{name: 0.0 if double else seconds for name, seconds in read.items()},
            **{f"{name}_f64": seconds if double else 0.0 for name, seconds in read.items()},
            # every layer and direction writes and reads its gates at every real step
            "gates": m.num_layers
            * m.D
            * computed_steps(self.spec)
            * m.gates
            * m.hidden_size
            * size
            / gate_rate,
            "weights": self.parameter_bytes / weight_rate,
            "backward": (self.training - self.forward) / rate,
            **self._input_weight_terms(weight_rate, rates.onednn_brgemm),
        }
        for family in ("lstm", "gru", "rnn"):
            terms[f"{family}_steps"] = step_seconds if m.family == family else 0.0
        terms["projection_steps"] = step_seconds if m.proj_size else 0.0
        return terms

    def _input_weight_terms(self, weight_rate: float, brgemm: bool) -> dict[str, float]:
        """oneDNN's brgemm kernels (x64 CPUs with AVX2) compute a layer's input projection
        one step at a time, reading ``W_ih`` again at every step, forward and backward
        (``input_weights``: the training fit leaves it at 0); only a forward pass of one
        sequence merges the steps into one product (oneDNN's "merged layer compute", for a
        one-layer call: torch calls it once per layer and direction), so
        ``unmerged_input_weights`` is 0 there. Its other kernels (``brgemm`` false) merge
        them in the backward pass and in a forward pass of fewer than 128 sequences
        (``rnn_utils.cpp``: ``merge_gemm_layer``)."""
        m = self.spec.module
        size = DTYPE_BYTES[self.spec.run.dtype]
        per_step = sum(
            m.gates * m.hidden_size * layer_input_size(m, k) * size for k in range(m.num_layers)
        )
        seconds = self.spec.input.seq_len * m.D * per_step / weight_rate
        batch = 1 if self.spec.input.unbatched else self.spec.input.batch
        unmerged = batch > 1 if brgemm else batch >= 128
        return {
            "input_weights": seconds if brgemm else 0.0,
            "unmerged_input_weights": seconds if unmerged else 0.0,
        }

    def _seconds(self, path: str, kind: str, rates: MachineRates) -> float:
        terms = self.time_terms(rates)
        return sum(terms[name] * k for name, k in TIME_MODEL[path][kind].items())

    def forward_seconds(
        self, *, stepwise: bool = False, rates: MachineRates = ASSUMED_RATES
    ) -> float:
        """One forward pass at ``rates``, on the path torch takes by default, or on the
        step-by-step path (``stepwise``)."""
        path = "fused" if self.fused and not stepwise else "step-by-step"
        return self._seconds(path, "forward", rates)

    def training_seconds(self, *, rates: MachineRates = ASSUMED_RATES) -> float:
        """One forward + backward pass on the path torch takes by default."""
        return self._seconds("fused" if self.fused else "step-by-step", "training", rates)

    def build_seconds(self) -> float:
        """Creating and initializing the module: per layer and direction, plus the
        random initialization of every parameter (about 15 ns each)."""
        m = self.spec.module
        return m.num_layers * m.D * SECONDS_PER_LAYER_BUILT + self.parameter_count * 15e-9

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameter_count": self.parameter_count,
            "parameter_bytes": self.parameter_bytes,
            "bytes_per_element": self.bytes_per_element,
            "flops": {
                "forward": self.forward,
                "forward_matmul": self.forward_matmul,
                "forward_elementwise": self.forward_elementwise,
                "forward_backward": self.training,
                "forward_backward_matmul": self.training_matmul,
                "per_layer": [c.as_dict() for c in self.layers],
            },
            "memory": self.memory.as_dict(),
            "kernel": self.kernel,
            "forward_seconds_estimate": round(self.forward_seconds(), 6),
        }


def kernel(spec: Spec) -> str:
    """The kernel torch 2.x picks: on CUDA (``--device cuda``) cuDNN; on the CPU one oneDNN
    kernel for ``nn.LSTM`` in float32/bfloat16 without ``proj_size`` or packed input;
    everything else step by step through ``aten.addmm``/``aten.mm`` (FlopCounterMode
    counts those). ``--device auto`` is taken as the CPU."""
    m = spec.module
    if m.is_cell:
        return "step-by-step"  # one step, through aten's cell functions on every device
    if spec.run.device.startswith("cuda"):
        return "cudnn"
    if (
        m.kind == "lstm"
        and m.proj_size == 0
        and spec.run.dtype in ("float32", "bfloat16")
        and spec.input.lengths is None
    ):
        return "onednn"
    return "step-by-step"


def fused_on_cpu(spec: Spec) -> bool:
    """Whether torch runs the whole module as one oneDNN kernel on the CPU."""
    return kernel(spec) == "onednn"


def computed_steps(spec: Spec) -> int:
    """Sequence steps actually computed, summed over the batch: ``N*L``, or with packed
    input (``lengths``) only the real steps, as torch's packed path skips the padding."""
    if spec.input.lengths is not None:
        return sum(spec.input.lengths)
    return spec.input.seq_len * (1 if spec.input.unbatched else spec.input.batch)


def layer_costs(spec: Spec) -> tuple[LayerCost, ...]:
    m = spec.module
    rows = m.gates * m.hidden_size  # gates*H_cell
    tokens = computed_steps(spec)
    per_unit = ELEMENTWISE_PER_UNIT[m.family] + (2 * m.gates if m.bias else 0)
    costs = []
    for layer in range(m.num_layers):
        in_features = layer_input_size(m, layer)
        for direction in range(m.D):
            costs.append(
                LayerCost(
                    layer=layer,
                    direction="backward" if direction else "forward",
                    in_features=in_features,
                    input_projection=2 * tokens * rows * in_features,
                    recurrent_projection=2 * tokens * rows * m.H_out,
                    projection=2 * tokens * m.proj_size * m.hidden_size,
                    elementwise=tokens * per_unit * m.hidden_size,
                )
            )
    return tuple(costs)


def _backward_matmul(spec: Spec, layers: tuple[LayerCost, ...]) -> int:
    """Every product needs its weight gradient (as many FLOPs as forward) and its input
    gradient, except where the input needs none: the data fed to layer 0 and the zero
    ``h0`` of each layer and direction at the first step."""
    m = spec.module
    batch = 1 if spec.input.unbatched else spec.input.batch
    first_step = 2 * batch * m.gates * m.hidden_size * m.H_out
    total = 0
    for cost in layers:
        total += cost.matmul  # weight gradients
        total += cost.matmul - first_step  # input gradients
        if cost.layer == 0:
            total -= cost.input_projection
    return total


#: What autograd keeps per step, layer and direction on the step-by-step path, in units of
#: H (plus proj_size's h): LSTM the four gates, c, tanh(c) and h; GRU its gates, r * (W_hn
#: h + b_hn), the candidate and h; RNN h only. Counted with torch's saved-tensor hooks
#: (tests/probe/test_cost_vs_torch.py keeps them equal).
SAVED_PER_STEP = {"lstm": 7, "gru": 7, "rnn": 1}
#: ... and once per layer and direction, in units of N*H: RNN's h0 (LSTM and GRU count
#: their h_{t-1} among the per-step tensors, and the last h is not kept).
SAVED_INITIAL = {"lstm": 0, "gru": 0, "rnn": 1}
#: Tensors autograd keeps per step, layer and direction (the same hooks; one more with
#: proj_size), and their sizes, in units of N*H: LSTM the gates, c, tanh(c) and h (with
#: proj_size, h before the projection, then the projected h of N*proj_size); GRU its
#: hidden-side gates, and four of N*H; RNN h.
SAVED_TENSOR_UNITS = {"lstm": (4, 1, 1, 1), "gru": (3, 1, 1, 1, 1), "rnn": (1,)}


def saved_for_backward(spec: Spec) -> int:
    """Elements autograd keeps for backward on the step-by-step path: exactly what torch's
    saved-tensor hooks count (the per-step tensors of every layer and direction, and the
    input of every layer above the first)."""
    m = spec.module
    batch = 1 if spec.input.unbatched else spec.input.batch
    tokens = spec.input.seq_len * batch
    per_step = SAVED_PER_STEP[m.family] * m.hidden_size + m.proj_size
    initial = SAVED_INITIAL[m.family] * batch * m.hidden_size
    upper_inputs = sum(tokens * layer_input_size(m, k) for k in range(1, m.num_layers))
    return m.D * m.num_layers * (tokens * per_step + initial) + upper_inputs


def memory_terms(spec: Spec) -> dict[str, int]:
    """The sizes the fused training model weighs, in bytes, that do not depend on which
    layer the backward pass is in: each is a tensor (or a group of tensors) oneDNN's
    kernels allocate; :data:`MEMORY_MODEL` says how many of each are alive at the peak."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    tokens = spec.input.seq_len * batch
    inputs = [tokens * layer_input_size(m, k) for k in range(m.num_layers)]
    elements = {
        "output": tokens * m.D * m.H_out,
        "bidirectional_upper_inputs": sum(inputs[1:]) if m.D == 2 else 0,
        "layer_gates": tokens * m.D * m.gates * m.hidden_size,
        "batch_first_input": _batch_first_copy(spec),
    }
    return {name: value * size for name, value in elements.items()}


def heap_terms(spec: Spec) -> dict[str, int]:
    """Bytes the heap keeps of the step-by-step path's small per-step tensors, beyond the
    tensors themselves: what each step allocates below 4 KiB (the mmap threshold while a
    peak is measured) comes from the heap, where freed blocks stay resident. ``heap_output``:
    each step's ``h`` (``N*H_out``); ``heap_hidden``: what a step allocates beside it
    (``N*H_cell``, freed), a block that the kept ``h`` splits, so that it cannot hold the
    next step's and the heap grows by about one per step. Each for the first layer and
    direction, and (``*_more``) for the others, fitted apart: the later ones find the holes
    the first left (``heap_output_more`` is fitted to 0)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    tokens = spec.input.seq_len * batch
    small_output = batch * m.H_out * size < MAPPED_BYTES
    small_hidden = batch * m.hidden_size * size < MAPPED_BYTES
    output = tokens * m.H_out * size if small_output else 0
    hidden = tokens * m.hidden_size * size if small_hidden else 0
    return {
        "heap_output": output,
        "heap_output_more": (m.D - 1) * output,
        "heap_hidden": hidden,
        "heap_hidden_more": (m.D * m.num_layers - 1) * hidden,
    }


def _batch_first_copy(spec: Spec) -> int:
    """Elements of the time-major copy of a ``batch_first`` input: oneDNN's path makes it
    for the call (``input.transpose(0, 1).contiguous()``), the step path keeps one for
    backward. With one sequence or one step the transposed input is contiguous already."""
    m = spec.module
    batch = 1 if spec.input.unbatched else spec.input.batch
    if not m.batch_first or batch == 1 or spec.input.seq_len == 1:
        return 0
    return spec.input.seq_len * batch * m.input_size


def _layer_weights(spec: Spec, layer: int) -> int:
    """Elements of one direction's weights (with biases) of ``layer``."""
    m = spec.module
    rows = m.gates * m.hidden_size
    bias = 2 if m.bias else 0
    return rows * (layer_input_size(m, layer) + m.H_out + bias) + m.proj_size * m.hidden_size


def good_leading_dimension(columns: int) -> int:
    """The row length oneDNN gives a weight matrix it lays out itself (``get_good_ld`` in
    its ``rnn_utils.cpp``, float32): a multiple of 16 (64 bytes), but not of 256 (4K
    aliasing)."""
    ld = -(-columns // 16) * 16
    return ld + 16 if ld % 256 == 0 else ld


def _reordered_gradients(spec: Spec, layer: int) -> int:
    """Elements of the weight gradients of one direction of ``layer`` that oneDNN's
    backward pass writes into a layout of its own and copies out afterwards: those of a
    matrix whose row length (its input features) is not already a good leading dimension.
    Where it is (1408 features, say), the gradient is written in place."""
    m = spec.module
    rows = m.gates * m.hidden_size
    total = 0
    for columns in (layer_input_size(m, layer), m.H_out):
        ld = good_leading_dimension(columns)
        total += rows * ld if ld != columns else 0
    return total


def fused_training_phases(spec: Spec) -> tuple[dict[str, int], ...]:
    """:func:`memory_terms` and, for each layer from the first, the sizes of the moment
    oneDNN's backward pass reaches it (it runs from the top layer down): the gates and
    outputs the layers up to it still keep (``kept_*``), the gradients of the layers from
    it up (``grads_above``), its own weights (the kernel's copies of the weights and of
    their gradients), the gradient of its input, and the kernel's gradients of the states
    (``layer_diff_states``: ``(L+1)*N`` rows, as wide as the wider of its input and hidden
    size rounded up to oneDNN's leading dimension). The modelled
    peak is the largest over these moments (:func:`modelled_peak`).

    A bidirectional layer's backward runs one direction after the other, each in a call
    of its own: its weights and kept gates are terms of their own (``*_bidirectional``),
    fitted apart (below 1: perhaps the second direction reuses pages the first one freed;
    not checked)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    tokens = spec.input.seq_len * (1 if spec.input.unbatched else spec.input.batch)
    weights = [_layer_weights(spec, k) for k in range(m.num_layers)]
    inputs = [tokens * layer_input_size(m, k) for k in range(m.num_layers)]
    # running sums (a stack of 50,000 layers must not cost a sum per layer)
    weights_from = list(accumulate(reversed(weights)))[::-1]
    common = memory_terms(spec)
    phases = []
    rows = (spec.input.seq_len + 1) * (1 if spec.input.unbatched else spec.input.batch)
    one, two = m.D == 1, m.D == 2
    for k in range(m.num_layers):
        wide = good_leading_dimension(max(layer_input_size(m, k), m.hidden_size))
        gates = tokens * m.D * m.gates * m.hidden_size * (k + 1)
        elements = {
            "kept_gates": gates * one,
            "kept_gates_bidirectional": gates * two,
            "layer_weights": weights[k] * one,
            "layer_weights_bidirectional": weights[k] * two,
            "kept_outputs": tokens * m.D * m.H_out * k,
            "grads_above": m.D * weights_from[k],
            "layer_reordered_gradients": _reordered_gradients(spec, k),
            "layer_input_both": inputs[k] * m.D,
            "layer_diff_states": rows * wide,
        }
        phases.append({**common, **{name: value * size for name, value in elements.items()}})
    return tuple(phases)


def kept_per_direction(spec: Spec) -> tuple[int, int, int]:
    """What autograd keeps for one layer and direction on the step-by-step path, per the
    saved-tensor hooks: the elements (every step's tensors, and RNN's ``h_0``), the tensors
    per step, and the bytes whole pages add to one step's tensors (each of 4 KiB or more
    is a mapping of its own while a peak is measured)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    per_step = SAVED_PER_STEP[m.family] * m.hidden_size + m.proj_size
    elements = spec.input.seq_len * batch * per_step
    elements += SAVED_INITIAL[m.family] * batch * m.hidden_size
    sizes = [units * m.hidden_size for units in SAVED_TENSOR_UNITS[m.family]]
    sizes += [m.proj_size] if m.proj_size else []
    rounding = sum(mapped_bytes(batch * n * size) - batch * n * size for n in sizes)
    return elements, len(sizes), rounding


def step_training_phases(spec: Spec, *, every_layer: bool = False) -> tuple[dict[str, int], ...]:
    """The moments of a training step on the step-by-step path, read from torch's
    ``RNN.cpp`` and autograd's engine, with the bytes alive at each.

    The forward pass's input projections and stacked outputs as :func:`step_forward_phases`
    has them (a bidirectional layer computes the second direction's input projection while
    the first's is alive, and concatenates the two outputs while the second's still is),
    with what autograd keeps (``saved``) in place of each step's ``h``; its states and a
    step's temporaries are left out (they are small beside these).

    The backward pass runs from the top layer down, one direction after the other (the
    engine runs the newest node first). In a direction's first steps autograd adds each
    step's gradient of ``W_hh`` and ``b_hh`` (and ``W_hr``) to a running sum, the first time
    out of place: two steps' gradients and their sum (``accumulation``) beside that
    direction's saved tensors of all but the last two steps, and their gate gradients. At
    its end, every step's gate gradient (kept by the unbind of the input projection) and
    their stack (``gate_grads``), then the gradient of the layer's input (``input_grads``: a
    layer above the first) and of ``W_ih``. Alive throughout: the gradients done
    (``grads``), the gradient of the layer's output (``incoming``: the input gradient of the
    layer above), the output. Fitted (:data:`MEMORY_MODEL`): the bookkeeping per kept tensor
    (``kept_tensors``, in KiB), the share of whole pages (``kept_rounding``) and the heap
    (:func:`heap_terms`). An RNN's forward moments have no heap terms: its step allocates
    ``W_hh h`` and then the kept ``h`` of the same size, and frees the first, whose hole the
    next step's ``W_hh h`` fills exactly, so the heap grows by the kept ``h`` alone (measured:
    the graph of a bidirectional RNN's forward pass, ``N=6``, ``H=119``, 680 steps, peaks at
    18.3 MiB, where the heap terms had made the concatenation moment 24.7 MiB).

    Of a deep stack only layers 0 and 1 and the top two are walked (``every_layer``: all):
    the others' moments lie between theirs."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    steps, layers, D = spec.input.seq_len, m.num_layers, m.D
    tokens, gates = steps * batch, m.gates * m.hidden_size
    kept, tensors, rounding = kept_per_direction(spec)
    inputs = [tokens * layer_input_size(m, k) if k else 0 for k in range(layers)]
    kept_below = [0, *accumulate(D * kept + inputs[k] for k in range(layers))]
    weights = [_layer_weights(spec, k) for k in range(layers)]
    weights_above = [0, *accumulate(reversed(weights))][::-1]
    hidden_side = gates * m.H_out + (gates if m.bias else 0)  # W_hh, b_hh
    recurrent = hidden_side + m.proj_size * m.hidden_size  # and W_hr
    common = {**heap_terms(spec), "batch_first_input": _batch_first_copy(spec) * size,
              "output": tokens * D * m.H_out * size}  # fmt: skip
    phases: list[dict[str, int]] = []

    def moment(layer: int, directions: int, left: int = 0, **elements: int) -> None:
        """``directions`` of ``layer`` still keep their tensors, and the layers below, and
        the direction the backward pass is in the tensors of its first ``left`` steps."""
        kept_steps = steps * (layer * D + directions) + left
        saved = kept_below[layer] + inputs[layer] + directions * kept + kept * left // steps
        phases.append({**common, **{n: v * size for n, v in elements.items()},
                       "saved": saved * size, "kept_tensors": kept_steps * tensors * 1024,
                       "kept_rounding": kept_steps * rounding})  # fmt: skip

    projection, stacked = tokens * gates, tokens * m.H_out
    # every layer above the first has the same sizes, so each moment's bytes grow or shrink
    # evenly from one such layer to the next: the largest is at layer 0, 1, or the top two
    # (a stack of 50,000 layers costs 8 layers' moments, not 450,000)
    ends = {0, 1, layers - 2, layers - 1}
    walked = [k for k in range(layers) if every_layer or k in ends]
    for k in walked:  # forward: the output is the last stack (or concatenation)
        moment(k, 1, projections=projection, stacked=stacked)
        if D == 2:  # the second projection while the first is alive, then the concatenation
            moment(k, 1, projections=2 * projection, stacked=stacked)
            moment(k, 2, projections=projection, stacked=4 * stacked)
    for phase in phases:
        phase["output"] = 0
        if m.family == "rnn":  # an RNN step's temporary fills the last one's hole
            phase.update(dict.fromkeys(heap_terms(spec), 0))
    # the second step from the end adds to the last one's gradient: its steps and the
    # last are done; W_hr's first addition came before W_hh's
    first = 2 * hidden_side + recurrent if steps > 1 else recurrent
    for k in reversed(walked):
        above = tokens * D * m.H_out if k < layers - 1 else 0
        for d in range(D):
            done = D * weights_above[k + 1] + d * weights[k]
            pending = d * inputs[k]  # the first direction's input gradient waits
            moment(k, D - d - 1, max(0, steps - 2), grads=done, accumulation=first,
                   gate_grads=min(steps, 2) * batch * gates, incoming=above,
                   input_grads=pending)  # fmt: skip
            # once the last direction's steps are done, the incoming gradient is freed
            incoming = above if d < D - 1 else 0
            moment(k, D - d - 1, grads=done + recurrent, incoming=incoming,
                   input_grads=pending, gate_grads=2 * tokens * gates)  # fmt: skip
            moment(k, D - d - 1, grads=done + weights[k], gate_grads=tokens * gates,
                   incoming=incoming, input_grads=pending + inputs[k])  # fmt: skip
    names = set().union(*phases)
    return tuple({n: phase.get(n, 0) for n in sorted(names)} for phase in phases)


def pages_touched(written: int, row: int, size: int = 4) -> int:
    """Elements of a row of ``row`` elements that count in the resident set when only its
    first ``written`` are written: every 4 KiB page a write lands on counts whole (rows
    shorter than a page touch every page)."""
    return min(row, written + 4096 // size)


def fused_forward_phases(spec: Spec) -> tuple[dict[str, int], ...]:
    """The moments of a forward pass on oneDNN's path, read from the sources (torch's
    ``mkldnn_rnn`` and oneDNN 3.x's ``rnn_utils``), with the bytes alive at each.

    torch calls oneDNN once per layer and direction. Each call has its output, oneDNN's
    copy of that layer's weights in its own layout, the cell state of every step
    (``ws_states_iter_c``, ``L+1`` steps), the gates of one step (of every step with a
    batch of one sequence: the merged layer GEMM) and torch's ``h_n``/``c_n`` of the call.
    The right-to-left direction cannot read the input or write the output in place: it
    copies the input into, and writes ``h`` to, oneDNN's state workspace, whose rows are
    ``good_leading_dimension(max(input, H))`` long. Alive beside the call: the layer's
    input and, bidirectional, the outputs torch concatenates into the next layer's input.
    The last moments are that concatenation and the end (output, ``h_0``/``c_0``, and
    ``h_n``/``c_n`` twice: per call and stacked)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    steps, hidden = spec.input.seq_len, m.hidden_size
    tokens = steps * batch
    calls = m.num_layers * m.D
    zero_states = 2 * calls * batch * hidden  # h_0 and c_0, made by nn.LSTM
    gates_row = good_leading_dimension(m.gates * hidden)
    common = {
        "batch_first_input": _batch_first_copy(spec),
        "gates_scratch": (steps if batch == 1 else batch) * gates_row,
    }
    phases: list[dict[str, int]] = []
    done = 0
    for k in range(m.num_layers):
        columns = layer_input_size(m, k)
        row = good_leading_dimension(max(columns, hidden))
        upper = tokens * m.D * hidden if k else 0  # this layer's input (torch's concatenation)
        for direction in range(m.D):
            done += 1
            before = (m.D - direction if k and m.D == 2 else 0) + direction
            reverse = pages_touched(columns, row, size) + pages_touched(hidden, row, size)
            phases.append({
                **common,
                "outputs_alive": upper + tokens * hidden * before,
                "call_output": tokens * hidden,
                "weights_copy": m.gates * hidden * (columns + hidden),
                "cell_states": (steps + 1) * batch * hidden,
                "reverse_copies": tokens * reverse if direction else 0,
                "states": zero_states + 2 * done * batch * hidden,
            })  # fmt: skip
        if m.D == 2:  # old input, both outputs, their concatenation
            outputs = upper + 2 * tokens * 2 * hidden
            phases.append({**common, "outputs_alive": outputs,
                           "states": zero_states + 2 * done * batch * hidden})  # fmt: skip
    phases.append({**common, "outputs_alive": tokens * m.D * hidden, "states": 3 * zero_states})
    names = set().union(*phases)
    return tuple({n: phase.get(n, 0) * size for n in sorted(names)} for phase in phases)


def mapped_bytes(size: int) -> int:
    """What a tensor of ``size`` bytes adds to the resident set while a peak is measured:
    from 4 KiB on (with malloc's header and torch's 64-byte alignment) a mapping of its own,
    in whole pages; below that, a heap block of about its size."""
    if size < MAPPED_BYTES - 128:
        return size
    return -(-(size + 128) // 4096) * 4096


def step_forward_phases(spec: Spec) -> tuple[dict[str, int], ...]:
    """The moments of a forward pass on the step-by-step path, read from torch's
    ``aten/src/ATen/native/RNN.cpp`` (``FullLayer``, ``FullBidirectionalLayer``), with
    the bytes alive at each.

    Per layer and direction torch projects the whole sequence's input at once
    (``linear_ih``: ``L*N*gates*H``), runs the steps, keeping each step's ``h`` as a
    tensor of its own (``N*H_out``, in whole pages), and stacks them. A bidirectional
    layer computes the second direction's projection while the first's is alive, and
    concatenates the two stacked outputs while every step's ``h`` is still kept. Beside
    them: the layer's input (the layer below's output), a step's temporaries (its gates
    and a few ``N*H``), ``h_0`` (and ``c_0``) and the final states of the layers below."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    steps, hidden, out = spec.input.seq_len, m.hidden_size, m.H_out
    tokens = steps * batch
    per_layer_state = m.D * batch * (out + (hidden if m.has_cell else 0)) * size
    kept = steps * mapped_bytes(batch * out * size)
    stacked = tokens * out * size
    projections = tokens * m.gates * hidden * size
    common = {
        "step_temporaries": mapped_bytes(batch * m.gates * hidden * size)
        + 3 * mapped_bytes(batch * hidden * size),
    }
    phases = []
    for k in range(m.num_layers):
        layer = {
            **common,
            "upper_input": tokens * m.D * out * size if k else 0,
            "states": (m.num_layers + k) * per_layer_state,
        }
        # bidirectional: both directions' projections alive at once ...
        phases.append({**layer, "input_projections": m.D * projections,
                       "kept_steps": kept, "stacked_outputs": stacked})  # fmt: skip
        if m.D == 2:  # ... then both directions' steps, two stacks and their concatenation
            phases.append({**layer, "input_projections": projections,
                           "kept_steps": 2 * kept, "stacked_outputs": 4 * stacked})  # fmt: skip
    return tuple(phases)


def phases_for(spec: Spec, path: str, kind: str) -> tuple[dict[str, int], ...]:
    """The moments :data:`MEMORY_MODEL`'s ``path``/``kind`` model is the largest of."""
    if kind == "forward":
        return fused_forward_phases(spec) if path == "fused" else step_forward_phases(spec)
    return fused_training_phases(spec) if path == "fused" else step_training_phases(spec)


#: How many of each term of :func:`phases_for` the measured peak holds, per path and pass
#: (training: forward and backward, with the gradients). The forward models and the
#: step-by-step training model's tensors are held at 1 (each term one allocation, read from
#: the sources); the fused training model and the step-by-step training model's bookkeeping,
#: pages and heap terms are fitted by benchmarks/fit_memory.py (robust least squares of the
#: relative error) on the fitting grid's measured peaks (benchmarks/memory-grid-results.json);
#: benchmarks/holdout-grid.json checks them on configurations they were not fitted on
#: (docs/cost.md).
MEMORY_MODEL: dict[str, dict[str, dict[str, float]]] = {
    "fused": {
        "forward": {
            "batch_first_input": 1.0,
            "call_output": 1.0,
            "cell_states": 1.0,
            "gates_scratch": 1.0,
            "outputs_alive": 1.0,
            "reverse_copies": 1.0,
            "states": 1.0,
            "weights_copy": 1.0,
        },
        "training": {
            "grads_above": 1.0,
            "layer_reordered_gradients": 1.0,
            "layer_weights": 1.013,
            "layer_weights_bidirectional": 0.658,
            "kept_gates": 1.307,
            "kept_gates_bidirectional": 0.888,
            "kept_outputs": 0.933,
            "layer_diff_states": 2.762,
            "layer_input_both": 1.312,
            "layer_gates": 1.466,
            "output": 1.116,
            "bidirectional_upper_inputs": 4.166,
            "batch_first_input": 1.0,
        },
    },
    "step-by-step": {
        "forward": {
            "input_projections": 1.0,
            "kept_steps": 1.0,
            "stacked_outputs": 1.0,
            "states": 1.0,
            "step_temporaries": 1.0,
            "upper_input": 1.0,
        },
        "training": {
            "saved": 1.0,
            "grads": 1.0,
            "accumulation": 1.0,
            "incoming": 1.0,
            "input_grads": 1.0,
            "gate_grads": 1.0,
            "projections": 1.0,
            "stacked": 1.0,
            "output": 1.0,
            "batch_first_input": 1.0,
            "heap_output": 1.076,
            "heap_output_more": 0.0,
            "heap_hidden": 1.482,
            "heap_hidden_more": 1.021,
            "kept_rounding": 0.051,
            "kept_tensors": 3.41,
        },
    },
}


def modelled_peak(phases: tuple[dict[str, int], ...], path: str, kind: str) -> int:
    """Bytes the ``kind`` pass (``forward``/``training``) adds on ``path`` (``fused``/
    ``step-by-step``) on top of the parameters and the input, from the sizes of
    :func:`phases_for`: the model, at the largest of its moments."""
    return round(_weighed(largest_phase(phases, path, kind), path, kind))


def largest_phase(phases: tuple[dict[str, int], ...], path: str, kind: str) -> dict[str, int]:
    """The moment of :func:`phases_for` at which the model peaks."""
    return max(phases, key=lambda terms: _weighed(terms, path, kind))


def _weighed(terms: dict[str, int], path: str, kind: str) -> float:
    return sum(terms[name] * k for name, k in MEMORY_MODEL[path][kind].items())


def memory(spec: Spec, *, stepwise: bool = False) -> Memory:
    """Bytes of one forward (and training) pass on the path torch takes by default, or on
    the step-by-step path (``stepwise``: the shape probe runs there)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    tokens = spec.input.seq_len * batch  # N*L
    output = tokens * m.D * m.H_out * size
    states = m.D * m.num_layers * batch * (m.H_out + (m.H_cell if m.has_cell else 0)) * size
    params = parameter_count(m) * size
    fixed: dict[str, Any] = {
        "parameters": params,
        "input": tokens * m.input_size * size,
        "gradients": params,
    }
    path = "step-by-step" if stepwise else kernel(spec)
    if m.is_cell:
        # one step: h1 (and c1) are the states and there is no separate output; the
        # workspace is the two gate projections, W_ih @ x and W_hh @ h0, and autograd
        # keeps the gates and the states
        gates = batch * m.gates * m.hidden_size * size
        return Memory(**fixed, output=0, states=states, workspace=2 * gates,
                      saved_for_backward=gates + states, backward_workspace=gates)  # fmt: skip
    if path == "cudnn":
        return _cudnn_memory(spec, fixed, output, states)
    key = "fused" if path == "onednn" else "step-by-step"
    forward = modelled_peak(phases_for(spec, key, "forward"), key, "forward")
    at_peak = largest_phase(phases_for(spec, key, "training"), key, "training")
    training = round(_weighed(at_peak, key, "training"))
    workspace = max(0, forward - output - states)
    # what autograd keeps: on the step path exactly its saved tensors; oneDNN keeps its
    # own workspace instead, on paper the gates and the h and c states of every step
    if key == "fused":
        saved = tokens * m.D * m.num_layers * (m.gates + 2) * m.hidden_size * size
    else:
        saved = saved_for_backward(spec) * size
    rest = training - params - output - 2 * states - workspace  # the gradients: params
    saved = max(0, min(saved, rest))
    # a training step holds at least what its forward pass does (never below inference)
    freed = min(max(0, -rest), params)
    in_forward = freed > 0 and not (at_peak.get("grads") or at_peak.get("grads_above"))
    return Memory(**fixed, output=output, states=states, workspace=workspace,
                  saved_for_backward=saved, backward_workspace=max(0, rest - saved),
                  freed_before_peak=freed, peak_in_forward=in_forward)  # fmt: skip


def _cudnn_memory(spec: Spec, fixed: dict[str, Any], output: int, states: int) -> Memory:
    """On paper, unverified (no GPU here): cuDNN's workspace holds the input projections
    of one layer for the whole sequence (nn.LSTM's weights are already one flat buffer, so
    nothing is copied), its reserve space for training the gates and states of every step,
    and its backward the gradients of one layer's gates, output and input."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    tokens = spec.input.seq_len * (1 if spec.input.unbatched else spec.input.batch)
    workspace = tokens * m.D * m.gates * m.hidden_size * size + (output if m.num_layers > 1 else 0)
    per_step = m.gates * m.hidden_size + m.H_out + (m.hidden_size if m.has_cell else 0)
    per_step += m.hidden_size if m.proj_size else 0  # h before the projection
    per_step += 3 * m.hidden_size if m.family == "gru" else 0  # GRU's r*(W_hn h + b_hn) and more
    upper = sum(tokens * layer_input_size(m, k) for k in range(1, m.num_layers))
    saved = (tokens * m.D * m.num_layers * per_step + upper) * size
    widest = max(layer_input_size(m, k) for k in range(m.num_layers))
    backward = (tokens * m.D * per_step + tokens * widest) * size + output
    return Memory(**fixed, output=output, states=states, workspace=workspace,
                  saved_for_backward=saved, backward_workspace=backward)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def estimate(spec: Spec) -> CostEstimate:
    """The cost of one forward (and forward + backward) pass of ``spec`` at its full size.
    Cached (specs are frozen): ``check --spec`` asks again for the configurations its
    cases share, and the memory model walks every moment of a training step."""
    layers = layer_costs(spec)
    return CostEstimate(
        spec=spec,
        parameter_count=parameter_count(spec.module),
        bytes_per_element=DTYPE_BYTES[spec.run.dtype],
        layers=layers,
        backward_matmul=_backward_matmul(spec, layers),
        backward_elementwise=2 * sum(c.elementwise for c in layers),
        memory=memory(spec),
        stepwise_memory=memory(spec, stepwise=True),
    )


#: estimate / measured - 1 of the memory model, per path and pass, over the configurations
#: whose measured peak is at least 16 MiB: the wider of the fitting and the held-out grids
#: (benchmarks/*memory-results.json; written by benchmarks/cost_doc.py,
#: tests/docs/test_cost_doc.py keeps them equal).
MEMORY_ERROR_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "fused": {"training": (-0.114, 0.102), "forward": (-0.03, 0.034)},
    "step-by-step": {"training": (-0.187, 0.141), "forward": (-0.181, 0.09)},
}

#: Optimizer state per parameter, in tensors of the parameter's size: plain SGD keeps
#: none (SGD with momentum keeps one), Adam and AdamW keep two (exp_avg, exp_avg_sq).
OPTIMIZER_STATES = {"sgd": 0, "sgd-momentum": 1, "adam": 2, "adamw": 2}
OPTIMIZERS = ("sgd", "adam", "adamw")


@dataclass(frozen=True)
class TrainingMemory:
    """One training step as people run it: the weights, their gradients, the optimizer's
    state, what autograd keeps for backward, and with ``amp`` (bfloat16 autocast on the
    CPU) the low-precision copy of the weights each forward makes, activations then
    kept in bfloat16. Bytes."""

    optimizer: str
    amp: bool
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int  # input, output, h/c, workspace and what is kept for backward
    weight_copies: int  # autocast's bfloat16 weights

    @property
    def total(self) -> int:
        return (
            self.parameters
            + self.gradients
            + self.optimizer_state
            + self.activations
            + self.weight_copies
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "optimizer": self.optimizer,
            "amp": self.amp,
            "parameters": self.parameters,
            "gradients": self.gradients,
            "optimizer_state": self.optimizer_state,
            "activations": self.activations,
            "weight_copies": self.weight_copies,
            "total": self.total,
        }


def training_memory(spec: Spec, optimizer: str = "adam", amp: bool = False) -> TrainingMemory:
    """The peak of one training step with ``optimizer`` (states are created at its first
    step and stay), in ``spec``'s dtype, or with ``amp`` its activations in bfloat16."""
    mem = memory(spec)
    size = DTYPE_BYTES[spec.run.dtype]
    params = parameter_count(spec.module)
    # a step that peaks in its forward pass has no gradients yet at its peak
    gradients = mem.gradients - (mem.freed_before_peak if mem.peak_in_forward else 0)
    activations = mem.training - mem.parameters - gradients
    copies = 0
    if amp:
        # autocast runs the products (and oneDNN's LSTM) in bfloat16: 2 bytes an element
        activations = activations * DTYPE_BYTES["bfloat16"] // size
        copies = params * DTYPE_BYTES["bfloat16"]
    return TrainingMemory(
        optimizer=optimizer,
        amp=amp,
        parameters=mem.parameters,
        gradients=gradients,
        optimizer_state=OPTIMIZER_STATES[optimizer] * params * size,
        activations=activations,
        weight_copies=copies,
    )
