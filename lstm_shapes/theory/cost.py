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

from dataclasses import dataclass
from typing import Any

from lstm_shapes.spec.core import Spec
from lstm_shapes.theory.shapes import layer_input_size, parameter_count

DTYPE_BYTES = {"float32": 4, "float64": 8, "float16": 2, "bfloat16": 2}

#: Element-wise operations per step and hidden unit, beyond the two bias adds:
#: LSTM: sum of the two projections (4H), 3 sigmoids + 1 tanh (4H), c = f*c + i*g (3H),
#: tanh(c) (H), h = o*tanh(c) (H). GRU: sums (3H), 2 sigmoids (2H), r*(W_hn h + b_hn)
#: (H), tanh (H), h = (1-z)*n + z*h (4H). RNN: sum (H), the nonlinearity (H).
ELEMENTWISE_PER_UNIT = {"lstm": 13, "gru": 11, "rnn": 2}

#: Building the module: allocating and initializing each layer and direction's weights.
SECONDS_PER_LAYER_BUILT = 400e-6


@dataclass(frozen=True)
class MachineRates:
    """How fast this machine multiplies matrices, and what one step of torch's
    step-by-step kernel costs on top (:mod:`lstm_shapes.probe.calibrate` measures both).
    ``calibration_seconds`` is 0 for the assumed rates, which hold for no machine."""

    flops_per_second: float
    seconds_per_step: float
    calibration_seconds: float = 0.0

    @property
    def calibrated(self) -> bool:
        return self.calibration_seconds > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "flops_per_second": round(self.flops_per_second),
            "seconds_per_step": self.seconds_per_step,
            "calibrated": self.calibrated,
            "calibration_seconds": round(self.calibration_seconds, 4),
        }


#: Used before anything is calibrated (no torch): a slow, busy 2-core CPU.
ASSUMED_RATES = MachineRates(flops_per_second=8e9, seconds_per_step=40e-6)
#: The fused oneDNN kernel's cost per step relative to the step-by-step kernel's (it
#: skips Python-level dispatch per step), and its throughput relative to the calibration's
#: plain matrix product. Fitted on benchmarks/time_grid.py's 12 configurations on a quiet
#: 2-core machine (benchmarks/time-grid-results.json): the worst estimate/measured ratio
#: over forward, step-by-step and training was 2.0x.
FUSED_STEP_RATIO = 0.5
FUSED_THROUGHPUT_RATIO = 1.25
#: The step-by-step kernel's throughput relative to a plain matrix product: its small
#: per-step products run far below the calibration's one large product.
STEPWISE_THROUGHPUT_RATIO = 0.4
#: The backward pass's throughput relative to a plain matrix product, per path.
FUSED_BACKWARD_THROUGHPUT_RATIO = 0.8
STEPWISE_BACKWARD_THROUGHPUT_RATIO = 0.4


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

    def forward_seconds(
        self, *, stepwise: bool = False, rates: MachineRates = ASSUMED_RATES
    ) -> float:
        """One forward pass at ``rates``, on the path torch takes by default, or on the
        step-by-step path (``stepwise``): the FLOPs at the machine's throughput, plus a
        fixed cost per sequential step."""
        if self.fused and not stepwise:
            rate = rates.flops_per_second * FUSED_THROUGHPUT_RATIO
            per_step = rates.seconds_per_step * FUSED_STEP_RATIO
        else:
            rate = rates.flops_per_second * STEPWISE_THROUGHPUT_RATIO
            per_step = rates.seconds_per_step
        return self.forward / rate + self.steps * per_step

    def training_seconds(self, *, rates: MachineRates = ASSUMED_RATES) -> float:
        """One forward + backward pass: the backward's FLOPs at the step-by-step rate."""
        ratio = (
            FUSED_BACKWARD_THROUGHPUT_RATIO if self.fused else STEPWISE_BACKWARD_THROUGHPUT_RATIO
        )
        backward = (self.training - self.forward) / (rates.flops_per_second * ratio)
        return (
            self.forward_seconds(rates=rates) + backward + 2 * self.steps * rates.seconds_per_step
        )

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


def memory(spec: Spec, *, stepwise: bool = False) -> Memory:
    """Bytes of one forward (and training) pass on the path torch takes by default, or on
    the step-by-step path (``stepwise``: the shape probe runs there)."""
    m = spec.module
    size = DTYPE_BYTES[spec.run.dtype]
    batch = 1 if spec.input.unbatched else spec.input.batch
    tokens = spec.input.seq_len * batch  # N*L
    output = tokens * m.D * m.H_out
    states = m.D * m.num_layers * batch * (m.H_out + (m.H_cell if m.has_cell else 0))
    params = parameter_count(m)
    path = "step-by-step" if stepwise else kernel(spec)
    if path == "cudnn":
        # On paper, unverified (no GPU here): cuDNN's workspace holds the input
        # projections of one layer for the whole sequence; nn.LSTM's weights are already
        # one flat buffer, so nothing is copied.
        workspace = tokens * m.D * m.gates * m.hidden_size
    elif path == "onednn":
        # oneDNN (torch's mkldnn_rnn_layer, one layer at a time): a fresh copy of the
        # layer's weights in its own layout on every call, and its states for every step
        # (L+1 rows of N*H per direction); the layer below's output stays alive meanwhile.
        workspace = params + (spec.input.seq_len + 1) * batch * m.D * m.H_out
    else:
        # One direction at a time: its input projections for the whole sequence, its
        # list of per-step h and their stacked copy (which is the output itself with one
        # direction; two are concatenated). Each step's gates are freed between two h that
        # stay, so the allocator keeps holes that larger requests cannot reuse:
        # STEP_HOLES gates blocks per step and direction, fitted on benchmarks/memory_grid.py.
        workspace = tokens * (m.gates * m.hidden_size + m.D * m.H_out)
        if m.D == 2:
            workspace += tokens * m.D * m.H_out
        workspace += int(STEP_HOLES * tokens * m.D * m.gates * m.hidden_size)
    if m.is_cell:
        # one step: h1 (and c1) are the states and there is no separate output; the
        # workspace is the two gate projections, W_ih @ x and W_hh @ h0
        output = 0
        workspace = 2 * batch * m.gates * m.hidden_size
    if m.num_layers > 1:
        workspace += output
    # Autograd keeps, per layer, direction and step: the gate activations, the cell state
    # and tanh(c) (LSTM), the hidden state (and h before the projection), and each
    # layer's input sequence. oneDNN keeps its workspace instead: the gates and the h and
    # c states of every step; cuDNN its reserve space, on paper the same.
    fused = path in ("onednn", "cudnn")
    per_step = m.gates * m.hidden_size + m.H_out
    if m.has_cell:
        per_step += m.hidden_size if fused else 2 * m.hidden_size
    if m.proj_size:
        per_step += m.hidden_size
    if m.family == "gru":
        # GRU also keeps r * (W_hn h + b_hn), the candidate's pre-activation and 1 - z
        per_step += 3 * m.hidden_size
    saved = tokens * m.D * m.num_layers * per_step
    saved += sum(tokens * layer_input_size(m, k) for k in range(1, m.num_layers))
    backward = 0
    if not fused:
        # the same holes, left by every layer's steps while autograd keeps their tensors
        backward = int(STEP_HOLES * tokens * m.D * (m.num_layers - 1) * m.gates * m.hidden_size)
    if fused:
        # oneDNN's backward, one layer at a time: gradients of the gates and states of
        # every step, of the output and of the layer's input, and its own copy of the
        # weight gradients in its layout.
        widest = max(layer_input_size(m, k) for k in range(m.num_layers))
        backward = tokens * m.D * per_step + output + tokens * widest
        if path == "onednn":
            backward += params
    return Memory(
        parameters=params * size,
        input=tokens * m.input_size * size,
        output=output * size,
        states=states * size,
        workspace=workspace * size,
        saved_for_backward=saved * size,
        gradients=params * size,
        backward_workspace=backward * size,
    )


def estimate(spec: Spec) -> CostEstimate:
    """The cost of one forward (and forward + backward) pass of ``spec`` at its full size."""
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
#: of benchmarks/time-grid.json whose measured peak is at least 16 MiB
#: (benchmarks/memory-grid-results.json; tests/docs/test_cost_doc.py keeps them equal).
MEMORY_ERROR_BANDS: dict[str, dict[str, tuple[float, float]]] = {
    "fused": {"forward": (-0.176, -0.01), "training": (-0.026, 0.139)},
    "step-by-step": {"forward": (-0.147, 0.168), "training": (-0.154, -0.055)},
}

#: Allocator holes the step-by-step path leaves, in gates blocks per step and direction.
STEP_HOLES = 0.5

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
    activations = mem.training - mem.parameters - mem.gradients
    copies = 0
    if amp:
        # autocast runs the products (and oneDNN's LSTM) in bfloat16: 2 bytes an element
        activations = activations * DTYPE_BYTES["bfloat16"] // size
        copies = params * DTYPE_BYTES["bfloat16"]
    return TrainingMemory(
        optimizer=optimizer,
        amp=amp,
        parameters=mem.parameters,
        gradients=mem.gradients,
        optimizer_state=OPTIMIZER_STATES[optimizer] * params * size,
        activations=activations,
        weight_copies=copies,
    )
