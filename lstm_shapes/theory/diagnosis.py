"""What is wrong with the user's own tensor shapes, in our symbols. Pure: no torch.

:func:`diagnose` compares the shapes a user feeds (``input``, ``h0``, ``c0``, the input's
dtype, and the batch size or sequence length they say they have) with what the module
needs, the way torch reads them, for the sequence modules and for the cells. Each
:class:`Problem` names the wrong dimension, what it must be and why, and carries the fix as
lines of Python that use the module's kind as its name (``lstm``, ``grucell``, ...), ``x``,
``h0`` and ``c0``. :func:`torch_accepts` predicts whether torch's forward pass will take the
shapes at all; the check compares it with the real run.

This is the one diagnosis: ``check`` calls :func:`diagnose`, and ``trace`` calls
:func:`diagnose_failure` with the shapes the failing layer of a user's model was given,
which goes through the same rules. The text is rendered by :mod:`lstm_shapes.render.diagnosis`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lstm_shapes.spec.core import INTEGER_DTYPES, ModuleSpec
from lstm_shapes.spec.given import Given

__all__ = [
    "Diagnosis",
    "Given",
    "LayerContext",
    "Problem",
    "Reading",
    "complete",
    "diagnose",
    "diagnose_failure",
    "shape_str",
    "torch_accepts",
    "unchecked_by_torch",
]


def shape_str(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


@dataclass(frozen=True)
class Problem:
    """One mistake: ``tensor`` is where it is, ``what`` names the dimension and the rule,
    ``why`` explains, ``fix`` is code. ``silent`` mistakes are ones torch runs with."""

    id: str
    tensor: str
    what: str
    why: str
    fix: tuple[str, ...] = ()
    silent: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tensor": self.tensor,
            "what": self.what,
            "why": self.why,
            "fix": list(self.fix),
            "silent": self.silent,
        }


@dataclass(frozen=True)
class Reading:
    """How the (fixed) input is read: ``N`` is ``None`` for an unbatched input."""

    batch: int | None
    seq_len: int
    batch_first: bool


@dataclass(frozen=True)
class Diagnosis:
    module: ModuleSpec
    given: Given
    problems: tuple[Problem, ...] = field(default_factory=tuple)
    #: the input as torch would read it once the fixes are applied (None: unreadable)
    reading: Reading | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def sizes_line(self) -> str:
        m = self.module
        parts = []
        if self.reading is not None:
            if self.reading.batch is not None:
                parts.append(f"N={self.reading.batch}")
            if not m.is_cell:
                parts.append(f"L={self.reading.seq_len}")
        if m.is_cell:
            return " ".join([*parts, f"H_in={m.input_size}", f"H={m.hidden_size}"])
        parts += [
            f"H_in={m.input_size}",
            f"D={m.D}",
            f"num_layers={m.num_layers}",
            f"H_out={m.H_out}",
        ]
        if m.has_cell:
            parts.append(f"H_cell={m.H_cell}")
        return " ".join(parts)


def layout_symbols(batch_first: bool, batched: bool, last: str) -> str:
    if not batched:
        return f"(L, {last})"
    return f"(N, L, {last})" if batch_first else f"(L, N, {last})"


def state_names(m: ModuleSpec) -> tuple[str, ...]:
    return ("h0", "c0") if m.has_cell else ("h0",)


def state_features(m: ModuleSpec, name: str) -> tuple[str, int, str]:
    """``(symbol, size, where it comes from)`` of the last dimension of ``h0``/``c0``."""
    if name == "c0":
        return "H_cell", m.H_cell, f"hidden_size = {m.hidden_size}"
    if m.proj_size > 0:
        return "H_out", m.H_out, f"proj_size = {m.proj_size}"
    return "H_out", m.H_out, f"hidden_size = {m.hidden_size}"


def expected_state(m: ModuleSpec, name: str, batch: int | None) -> tuple[int, ...]:
    if m.is_cell:  # (N, H), or (H) for one step of one sequence
        return (m.hidden_size,) if batch is None else (batch, m.hidden_size)
    rows = m.D * m.num_layers
    features = state_features(m, name)[1]
    return (rows, features) if batch is None else (rows, batch, features)


def state_symbols(m: ModuleSpec, name: str, batched: bool) -> str:
    if m.is_cell:
        return "(N, H)" if batched else "(H)"
    symbol = state_features(m, name)[0]
    return f"(D*num_layers, N, {symbol})" if batched else f"(D*num_layers, {symbol})"


def torch_reading(m: ModuleSpec, shape: tuple[int, ...]) -> Reading | None:
    """Torch's reading of an input shape, or None if torch cannot read it at all."""
    if m.is_cell:  # one time step: (N, H_in) or (H_in)
        if len(shape) == 1:
            return Reading(None, 1, False)
        return Reading(shape[0], 1, False) if len(shape) == 2 else None
    if len(shape) == 2:
        return Reading(None, shape[0], m.batch_first)
    if len(shape) == 3:
        n, seq = (shape[0], shape[1]) if m.batch_first else (shape[1], shape[0])
        return Reading(n, seq, m.batch_first)
    return None


def complete(m: ModuleSpec, given: Given) -> Given:
    """Fill in the state the user did not give, shaped as torch would make it (an LSTM
    takes ``h0`` and ``c0`` together): zeros of the right shape for the input."""
    if not m.has_cell:
        return given
    if (given.h0 is None) == (given.c0 is None):
        return given
    reading = torch_reading(m, given.input)
    batch = reading.batch if reading is not None else None
    if given.h0 is None:
        return replace(given, h0=expected_state(m, "h0", batch))
    return replace(given, c0=expected_state(m, "c0", batch))


def torch_accepts(m: ModuleSpec, given: Given, module_dtype: str) -> bool:
    """Whether torch's forward pass takes these shapes (mirrors ``check_forward_args``)."""
    given = complete(m, given)
    if given.input_dtype != module_dtype or given.h0_alone:
        return False
    if not m.has_cell and given.c0 is not None:
        return False
    reading = torch_reading(m, given.input)
    if reading is None or given.input[-1] != m.input_size:
        return False
    for name in state_names(m):
        shape = given.h0 if name == "h0" else given.c0
        if shape is not None and shape != expected_state(m, name, reading.batch):
            return False
    return True


def unchecked_by_torch(m: ModuleSpec, given: Given) -> str | None:
    """Why these shapes must not be fed to torch (``None``: they can be).

    torch's cells check a state's rank (1-D or 2-D) but not that it matches the input's:
    with a 1-D input they add a batch dimension to the state as well, and a state of the
    other rank then gets past their checks. torch 2.13 broadcasts it into a wrong result,
    fails in an unrelated place, or crashes the process (``nn.LSTMCell``)."""
    if not m.is_cell or len(given.input) not in (1, 2):
        return None  # torch's own rank checks come first
    for name in state_names(m):
        shape = given.h0 if name == "h0" else given.c0
        if shape is not None and len(shape) in (1, 2) and len(shape) != len(given.input):
            return (
                f"the input is {len(given.input)}-D and {name} is {len(shape)}-D: torch's "
                "checks let a cell's state of the other rank through, and it then broadcasts, "
                "fails elsewhere or crashes"
            )
    return None


def dtype_problem(m: ModuleSpec, dtype: str, module_dtype: str) -> Problem:
    kind = "integers" if dtype in INTEGER_DTYPES else "floats"
    return Problem(
        "input-dtype",
        "input",
        f"input holds {dtype} {kind}, but the module's weights are {module_dtype}",
        f"torch runs nn.{m.class_name} only when the input has the weights' dtype.",
        (f"x = x.to(torch.{module_dtype})",),
    )


def embedding_line(m: ModuleSpec) -> str:
    return (
        f"embed = nn.Embedding(num_embeddings=vocab_size, embedding_dim={m.input_size})"
        "  # in __init__; vocab_size: your number of token ids"
    )


def _zeros_fix(m: ModuleSpec, name: str, batch_dim: int | None) -> str:
    rows = f"{m.D} * {m.num_layers}" if m.D == 2 else f"{m.num_layers}"
    symbol, size, _ = state_features(m, name)
    if batch_dim is None:
        return f"{name} = torch.zeros({rows}, {size}, device=x.device)  # (D*num_layers, {symbol})"
    return (
        f"{name} = torch.zeros({rows}, x.size({batch_dim}), {size}, device=x.device)"
        f"  # (D*num_layers, N, {symbol})"
    )


class _Diagnoser:
    def __init__(self, m: ModuleSpec, given: Given, module_dtype: str) -> None:
        self.original = m
        self.m = m
        self.given = given
        self.module_dtype = module_dtype
        self.problems: list[Problem] = []
        self.shape = given.input
        # only the states the user gave: one torch fills in (complete()) is always right
        self.states = {"h0": given.h0, "c0": given.c0}

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    # -- input ------------------------------------------------------------------------

    def dtype(self) -> None:
        m, dtype, shape = self.m, self.given.input_dtype, self.shape
        if dtype == self.module_dtype:
            return
        trailing_one = len(shape) == 3 and shape[-1] == 1 and m.input_size != 1
        if dtype in INTEGER_DTYPES and (len(shape) <= 2 or trailing_one):
            squeeze = ".squeeze(-1)" if trailing_one else ""
            if trailing_one:
                shape = shape[:-1]
            batched = len(shape) == 2
            ids = ("(N, L)" if m.batch_first else "(L, N)") if batched else "(L,)"
            vectors = layout_symbols(m.batch_first, batched, "H_in")
            after = (*shape, m.input_size)
            given_ids = f"{ids[:-1]}, 1)" if trailing_one else ids
            self.add(
                Problem(
                    "input-token-ids",
                    "input",
                    f"input holds integers ({dtype}) of shape {shape_str(self.shape)}: "
                    f"token ids {given_ids}, not vectors of H_in={m.input_size} features per step",
                    f"an nn.{m.class_name} multiplies each step by weight_ih, so every step must "
                    f"be {m.input_size} floats: ids become vectors through an nn.Embedding, "
                    f"giving {vectors} = {shape_str(after)}. Converting the model to {dtype}, "
                    "as torch's message suggests, cannot work: its weights must be floats.",
                    (
                        embedding_line(m),
                        f"x = embed(x{squeeze})  # {given_ids} ids -> {vectors} vectors",
                    ),
                )
            )
            self.shape = after
            return
        self.add(dtype_problem(m, dtype, self.module_dtype))

    def rank(self) -> None:
        m = self.m
        batched_symbols = layout_symbols(m.batch_first, True, "H_in")
        while len(self.shape) not in (2, 3):
            shape = self.shape
            rule = (
                f"input is {len(shape)}-D {shape_str(shape)}, but an nn.{m.class_name} reads a "
                f"batch {batched_symbols} (3-D) or one sequence (L, H_in) (2-D)"
            )
            if len(shape) == 1:
                if m.input_size == 1 and shape[0] != 1:
                    fix = "x = x.unsqueeze(-1)  # (L,) -> (L, H_in=1): one feature per step"
                    why = "a 1-D input of L numbers is one sequence with one feature per step."
                    self.shape = (shape[0], 1)
                else:
                    fix = "x = x.unsqueeze(0)  # (H_in,) -> (L=1, H_in): one step of one sequence"
                    why = (
                        "a 1-D input is the features of one step; even one step of one "
                        "sequence needs its L dimension."
                    )
                    self.shape = (1, shape[0])
            else:
                ones = [k for k, size in enumerate(shape) if size == 1]
                fitting = [k for k in ones if (shape[:k] + shape[k + 1 :])[-1] == m.input_size]
                if ones:
                    k = (fitting or ones)[-1]
                    fix = f"x = x.squeeze({k})  # drop dimension {k} of size 1"
                    why = f"dimension {k} has size 1 and means nothing to an nn.{m.class_name}."
                    self.shape = shape[:k] + shape[k + 1 :]
                else:
                    features = 1
                    for size in shape[2:]:
                        features *= size
                    fix = (
                        "x = x.flatten(2)  # merge the feature dimensions: "
                        f"{shape_str(shape)} -> {shape_str((*shape[:2], features))}"
                    )
                    why = (
                        "every step must be one vector of features; dimensions after the "
                        "first two are merged into it (e.g. a CNN's channels x width)."
                    )
                    self.shape = (*shape[:2], features)
            self.add(Problem("input-rank", "input", rule, why, (fix,)))

    def features(self) -> None:
        m, shape = self.m, self.shape
        if shape[-1] == m.input_size:
            return
        k = len(shape) - 1
        batched = len(shape) == 3
        symbols = layout_symbols(m.batch_first, batched, "H_in")
        what = (
            f"input dim {k} (H_in) is {shape[-1]}, but input_size is {m.input_size}: "
            f"input must be {symbols} with H_in={m.input_size}"
        )
        if batched and shape[1] == m.input_size:
            seq = shape[2]
            if m.batch_first:
                fix = "x = x.transpose(1, 2)  # (N, H_in, L) -> (N, L, H_in)"
                self.shape = (shape[0], seq, shape[1])
            else:
                fix = "x = x.permute(2, 0, 1)  # (N, H_in, L) -> (L, N, H_in)"
                self.shape = (seq, shape[0], shape[1])
            why = (
                f"the features (H_in={m.input_size}) are in dim 1: the layout (N, H_in, L) of "
                "nn.Conv1d, not the (time, features) layout an "
                f"nn.{m.class_name} reads; move them last."
            )
        elif not batched and shape[0] == m.input_size:
            fix = "x = x.transpose(0, 1)  # (H_in, L) -> (L, H_in)"
            self.shape = (shape[1], shape[0])
            why = f"the features (H_in={m.input_size}) are in dim 0; they must come last."
        else:
            fixed = replace(m, input_size=shape[-1])
            var = m.kind
            fix = f"{var} = {fixed.constructor()}  # or give the data {m.input_size} features"
            why = (
                f"the last dimension holds the features of one step, and the module was built "
                f"for input_size={m.input_size}: build it for the data's {shape[-1]} features, "
                f"or make the data's last dimension {m.input_size}."
            )
            self.m = fixed
        self.add(Problem("input-features", "input", what, why, (fix,)))

    def unbatched_input_batched_state(self) -> None:
        """A 2-D input with a 3-D state: often one time step for a whole batch."""
        m, shape = self.m, self.shape
        states = [s for s in self.states.values() if s is not None]
        if len(shape) != 2 or not states or not all(len(s) == 3 for s in states):
            return
        state_batch = states[0][1]
        what = (
            f"input {shape_str(shape)} is 2-D, read as one unbatched sequence (L, H_in), "
            f"but h0 is batched (3-D) with N={state_batch}"
        )
        if state_batch == shape[0] and state_batch != 1:
            k = 1 if m.batch_first else 0
            after = (shape[0], 1, shape[1]) if m.batch_first else (1, shape[0], shape[1])
            symbols = layout_symbols(m.batch_first, True, "H_in")
            fix = f"x = x.unsqueeze({k})  # (N, H_in) -> {symbols} with L=1"
            why = (
                f"input's {shape[0]} rows match h0's N={state_batch}: this looks like one time "
                f"step for a batch of {state_batch}, which needs its L dimension."
            )
        elif state_batch == 1:
            k = 0 if m.batch_first else 1
            after = (1, *shape) if m.batch_first else (shape[0], 1, shape[1])
            symbols = layout_symbols(m.batch_first, True, "H_in")
            fix = f"x = x.unsqueeze({k})  # (L, H_in) -> {symbols} with N=1"
            why = "h0 is for a batch of one sequence: give the input that batch dimension too."
        else:
            return  # the state is the odd one out; the state checks say so
        self.shape = after
        self.add(Problem("input-unbatched", "input", what, why, (fix,)))

    def layout(self) -> Reading:
        """Compare torch's reading with what the user said (or what h0 implies)."""
        reading = torch_reading(self.m, self.shape)
        assert reading is not None  # rank() made the input 2-D or 3-D
        if reading.batch is None:
            return self._read_as_unbatched(reading)
        if self.given.unbatched:
            return self._read_as_batched(reading)
        swapped, source = self._layout_source(reading)
        if swapped:
            return self._swapped_layout(reading, source)
        return reading

    def _read_as_unbatched(self, reading: Reading) -> Reading:
        """A 2-D input: torch reads one unbatched sequence, whatever the user said."""
        m, shape, given = self.m, self.shape, self.given
        if given.batch is not None and given.batch != 1:
            what = (
                f"input {shape_str(shape)} is 2-D, so torch reads it as one unbatched "
                f"sequence (L, H_in) with L={shape[0]}; you said N={given.batch}"
            )
            if shape[0] == given.batch:
                k = 1 if m.batch_first else 0
                symbols = layout_symbols(m.batch_first, True, "H_in")
                fix: tuple[str, ...] = (f"x = x.unsqueeze({k})  # (N, H_in) -> {symbols} with L=1",)
                why = (
                    f"to feed one time step to a batch of {given.batch}, give it its L "
                    "dimension; torch cannot tell, it runs the batch as a sequence."
                )
                self.shape = (shape[0], 1, shape[1]) if m.batch_first else (1, shape[0], shape[1])
                reading = torch_reading(m, self.shape) or reading
            else:
                fix = ()
                why = "a batch of sequences is 3-D; torch cannot tell and runs it anyway."
            self.add(Problem("input-read-unbatched", "input", what, why, fix, silent=True))
        return reading

    def _read_as_batched(self, reading: Reading) -> Reading:
        """A 3-D input the user says is one unbatched sequence."""
        m, shape = self.m, self.shape
        n_dim = 0 if m.batch_first else 1
        symbols = layout_symbols(m.batch_first, True, "H_in")
        one = shape[n_dim] == 1
        self.add(
            Problem(
                "input-read-batched",
                "input",
                f"input {shape_str(shape)} is 3-D, so torch reads it as a batch {symbols} "
                f"with N={reading.batch}; you said it is one unbatched sequence (L, H_in)",
                "one sequence is 2-D; torch cannot tell and runs it as a batch.",
                (f"x = x.squeeze({n_dim})  # drop N=1: (L, H_in)",) if one else (),
                silent=True,
            )
        )
        if one:
            self.shape = shape[:n_dim] + shape[n_dim + 1 :]
            return Reading(None, self.shape[0], m.batch_first)
        return reading

    def _layout_source(self, reading: Reading) -> tuple[bool, str]:
        """Whether N and L look swapped, and who says so (the user's sizes, or h0)."""
        m, shape, given = self.m, self.shape, self.given
        n_dim, l_dim = (0, 1) if m.batch_first else (1, 0)
        symbols = layout_symbols(m.batch_first, True, "H_in")
        swapped = False
        source = ""
        if given.batch is not None and reading.batch != given.batch:
            if shape[l_dim] == given.batch:
                swapped, source = True, f"you said N={given.batch}"
            else:
                self.add(
                    Problem(
                        "input-batch",
                        "input",
                        f"input {shape_str(shape)} has N={reading.batch} in dim {n_dim} "
                        f"{symbols}; you said N={given.batch}",
                        f"no dimension of input has your batch size {given.batch} where "
                        "batch_first puts N; torch cannot tell and runs it anyway.",
                        silent=True,
                    )
                )
        elif given.seq_len is not None and reading.seq_len != given.seq_len:
            if shape[n_dim] == given.seq_len:
                swapped, source = True, f"you said L={given.seq_len}"
            else:
                self.add(
                    Problem(
                        "input-seq-len",
                        "input",
                        f"input {shape_str(shape)} has L={reading.seq_len} in dim {l_dim} "
                        f"{symbols}; you said L={given.seq_len}",
                        "torch cannot tell and runs it anyway.",
                        silent=True,
                    )
                )
        elif given.batch is None and given.seq_len is None:
            h0 = self.states["h0"]
            if (
                h0 is not None
                and len(h0) == 3
                and h0[1] != reading.batch
                and h0[1] == shape[l_dim]
                and h0[1] != shape[n_dim]
            ):
                swapped, source = True, f"h0 says N={h0[1]}"
        return swapped, source

    def _swapped_layout(self, reading: Reading, source: str) -> Reading:
        """N and L swapped: the module should be built for the other layout."""
        m, shape = self.m, self.shape
        n_dim = 0 if m.batch_first else 1
        symbols = layout_symbols(m.batch_first, True, "H_in")
        flipped = replace(m, batch_first=not m.batch_first)
        other = layout_symbols(flipped.batch_first, True, "H_in")
        self.add(
            Problem(
                "input-layout",
                "input",
                f"torch reads input {shape_str(shape)} as {symbols} with "
                f"N={reading.batch}, L={reading.seq_len}, but {source}: "
                f"your data is {other}",
                f"batch_first={m.batch_first} puts N in dim {n_dim}; torch cannot tell "
                f"and would run {reading.seq_len} time steps of {reading.batch} sequences, "
                "mixing your sequences up. Build the module for your layout (or transpose "
                "the data with x.transpose(0, 1)).",
                (f"{m.kind} = {flipped.constructor()}",),
                silent=True,
            )
        )
        self.m = flipped
        reading = torch_reading(flipped, shape) or reading
        return reading

    # -- h0 / c0 ----------------------------------------------------------------------

    def state(self, name: str, reading: Reading) -> None:
        shape = self.states[name]
        if shape is None:
            return
        m = self.m
        batched = reading.batch is not None
        expected = expected_state(m, name, reading.batch)
        if shape == expected:
            return
        symbols = state_symbols(m, name, batched)
        batch_dim = (0 if m.batch_first else 1) if batched else None
        zeros = _zeros_fix(m, name, batch_dim)
        head = f"{name} is {shape_str(shape)}, but must be {symbols} = {shape_str(expected)}"
        rows = m.D * m.num_layers
        symbol, size, source = state_features(m, name)
        if len(shape) != len(expected):
            if batched:
                why = (
                    f"the input is batched (3-D), so {name} must be 3-D too: "
                    f"{symbols}, whatever batch_first says."
                )
            else:
                why = (
                    "the input is one unbatched sequence (2-D), so "
                    f"{name} must be 2-D too: {symbols}."
                )
            self.add(Problem(f"{name}-rank", name, head, why, (zeros,)))
            return
        if batched and shape == (expected[1], expected[0], expected[2]):
            rule = (
                "batch_first=True applies to input and output only"
                if m.batch_first
                else "batch_first never applies to them"
            )
            self.add(
                Problem(
                    f"{name}-batch-first",
                    name,
                    f"{name} {shape_str(shape)} is laid out batch-first (N, D*num_layers, "
                    f"{symbol}); it must be {symbols} = {shape_str(expected)}",
                    f"{rule}: h0, c0, hn and cn are always {state_symbols(m, name, True)}.",
                    (f"{name} = {name}.transpose(0, 1).contiguous()",),
                )
            )
            return
        reasons = []
        if shape[0] != rows:
            if m.D == 2 and shape[0] == m.num_layers:
                reasons.append(
                    f"dim 0 is num_layers = {m.num_layers}, but must be D*num_layers = "
                    f"{m.D}*{m.num_layers} = {rows}: bidirectional=True gives every layer two "
                    "directions, each with its own row"
                )
            else:
                reasons.append(
                    f"dim 0 is {shape[0]}, but must be D*num_layers = "
                    f"{m.D}*{m.num_layers} = {rows}: one row per layer and direction"
                )
        if batched and shape[1] != reading.batch:
            n_dim = 0 if m.batch_first else 1
            reasons.append(
                f"dim 1 is N = {shape[1]}, but the input's batch is N = {reading.batch} "
                f"(input dim {n_dim}): {name} was made for another batch size, e.g. a full "
                "batch before a smaller last one; make it from the batch you have"
            )
        k = len(shape) - 1
        if shape[k] != size:
            if name == "h0" and m.proj_size > 0 and shape[k] == m.hidden_size:
                reasons.append(
                    f"dim {k} is hidden_size = {m.hidden_size}, but with proj_size "
                    f"h0 ends in H_out = proj_size = {m.proj_size}: h is projected, c is not"
                )
            elif name == "c0" and m.proj_size > 0 and shape[k] == m.proj_size:
                reasons.append(
                    f"dim {k} is proj_size = {m.proj_size}, but c0 ends in H_cell = "
                    f"hidden_size = {m.hidden_size}: only h is projected"
                )
            else:
                reasons.append(f"dim {k} is {shape[k]}, but must be {symbol} = {source}")
        self.add(Problem(f"{name}-shape", name, head, "; ".join(reasons) + ".", (zeros,)))

    def run(self) -> Diagnosis:
        self.dtype()
        self.rank()
        self.unbatched_input_batched_state()
        self.features()
        reading = self.layout()
        for name in state_names(self.m):
            self.state(name, reading)
        return Diagnosis(self.original, self.given, tuple(self.problems), reading)


class _CellDiagnoser:
    """The same questions for a cell, which takes one time step: input ``(N, H_in)`` or
    ``(H_in)``, states ``(N, H)`` or ``(H)``; there is no L, no layout and no layer."""

    def __init__(self, m: ModuleSpec, given: Given, module_dtype: str) -> None:
        self.m = m
        self.given = given
        self.module_dtype = module_dtype
        self.problems: list[Problem] = []
        self.shape = given.input
        self.states = {"h0": given.h0, "c0": given.c0}

    def dtype(self) -> None:
        m, dtype, shape = self.m, self.given.input_dtype, self.shape
        if dtype == self.module_dtype:
            return
        trailing_one = len(shape) == 2 and shape[-1] == 1 and m.input_size != 1
        if dtype in INTEGER_DTYPES and (len(shape) == 1 or trailing_one):
            ids = "(N, 1)" if trailing_one else "(N,)"
            after = (shape[0], m.input_size)
            self.problems.append(
                Problem(
                    "input-token-ids",
                    "input",
                    f"input holds integers ({dtype}) of shape {shape_str(shape)}: one token id "
                    f"per sequence {ids}, not vectors of H_in={m.input_size} features",
                    f"an nn.{m.class_name} multiplies the step by weight_ih, so each sequence's "
                    f"step must be {m.input_size} floats: ids become vectors through an "
                    f"nn.Embedding, giving (N, H_in) = {shape_str(after)}.",
                    (
                        embedding_line(m),
                        f"x = embed(x{'.squeeze(-1)' if trailing_one else ''})"
                        f"  # {ids} ids -> (N, H_in) vectors",
                    ),
                )
            )
            self.shape = after
            return
        self.problems.append(dtype_problem(m, dtype, self.module_dtype))

    def rank(self) -> None:
        m = self.m
        while len(self.shape) not in (1, 2):
            shape = self.shape
            what = (
                f"input is {len(shape)}-D {shape_str(shape)}, but an nn.{m.class_name} takes "
                "one time step: (N, H_in) (2-D) or (H_in) (1-D)"
            )
            ones = [k for k, size in enumerate(shape) if size == 1]
            fitting = [k for k in ones if (shape[:k] + shape[k + 1 :])[-1] == m.input_size]
            if len(shape) == 3 and shape[-1] == m.input_size and 1 not in shape[:2]:
                step_first = self.given.batch == shape[0] != shape[1]
                layout, step = (
                    ("(N, L, H_in)", "x[:, t]") if step_first else ("(L, N, H_in)", "x[t]")
                )
                fix = (
                    f"x = {step.replace('t', '0')}  # step t=0 of {layout} is (N, H_in); "
                    f"feed {step} for each step t"
                )
                why = (
                    f"{layout} is a whole sequence, what nn.{m.family.upper()} takes; a cell "
                    "is called once per time step, in your own loop over t."
                )
                self.shape = (shape[0], shape[2]) if step_first else shape[1:]
            elif ones:
                k = (fitting or ones)[-1]
                fix = f"x = x.squeeze({k})  # drop dimension {k} of size 1"
                why = f"dimension {k} has size 1 and means nothing to an nn.{m.class_name}."
                self.shape = shape[:k] + shape[k + 1 :]
            else:
                features = 1
                for size in shape[1:]:
                    features *= size
                fix = (
                    "x = x.flatten(1)  # merge the feature dimensions: "
                    f"{shape_str(shape)} -> {shape_str((shape[0], features))}"
                )
                why = "each sequence's step must be one vector of features."
                self.shape = (shape[0], features)
            self.problems.append(Problem("input-rank", "input", what, why, (fix,)))

    def features(self) -> None:
        m, shape = self.m, self.shape
        if shape[-1] == m.input_size:
            return
        k = len(shape) - 1
        symbols = "(N, H_in)" if len(shape) == 2 else "(H_in)"
        what = (
            f"input dim {k} (H_in) is {shape[-1]}, but input_size is {m.input_size}: "
            f"input must be {symbols} with H_in={m.input_size}"
        )
        if len(shape) == 2 and shape[0] == m.input_size:
            fix = "x = x.t()  # (H_in, N) -> (N, H_in)"
            why = f"the features (H_in={m.input_size}) are in dim 0; they must come last."
            self.shape = (shape[1], shape[0])
        else:
            fixed = replace(m, input_size=shape[-1])
            fix = f"{m.kind} = {fixed.constructor()}  # or give the data {m.input_size} features"
            why = (
                f"the last dimension holds the features, and the cell was built for "
                f"input_size={m.input_size}: build it for the data's {shape[-1]} features, "
                f"or make the data's last dimension {m.input_size}."
            )
            self.m = fixed
        self.problems.append(Problem("input-features", "input", what, why, (fix,)))

    def reading(self) -> Reading:
        """Compare torch's reading (a batch or one step) with what the user said."""
        shape, given = self.shape, self.given
        reading = torch_reading(self.m, shape)
        assert reading is not None  # rank() made the input 1-D or 2-D
        if reading.batch is None and given.batch not in (None, 1):
            self.problems.append(
                Problem(
                    "input-read-unbatched",
                    "input",
                    f"input {shape_str(shape)} is 1-D, so torch reads it as one step of one "
                    f"sequence (H_in); you said N={given.batch}",
                    "a batch of steps is 2-D (N, H_in); torch cannot tell and runs it anyway.",
                    silent=True,
                )
            )
        elif reading.batch is not None and given.unbatched:
            one = shape[0] == 1
            self.problems.append(
                Problem(
                    "input-read-batched",
                    "input",
                    f"input {shape_str(shape)} is 2-D, so torch reads it as a batch (N, H_in) "
                    f"with N={reading.batch}; you said it is one step of one sequence (H_in)",
                    "one step of one sequence is 1-D; torch cannot tell and runs it as a batch.",
                    ("x = x.squeeze(0)  # drop N=1: (H_in)",) if one else (),
                    silent=True,
                )
            )
            if one:
                self.shape = shape[1:]
                return Reading(None, 1, False)
        elif given.batch is not None and reading.batch not in (None, given.batch):
            self.problems.append(
                Problem(
                    "input-batch",
                    "input",
                    f"input {shape_str(shape)} has N={reading.batch} in dim 0 (N, H_in); "
                    f"you said N={given.batch}",
                    "torch cannot tell and runs it anyway.",
                    silent=True,
                )
            )
        return reading

    def state(self, name: str, reading: Reading) -> None:
        shape, m = self.states[name], self.m
        if shape is None:
            return
        batched = reading.batch is not None
        expected = expected_state(m, name, reading.batch)
        if shape == expected:
            return
        symbols = state_symbols(m, name, batched)
        head = f"{name} is {shape_str(shape)}, but a cell's {name} must be {symbols} = "
        head += shape_str(expected)
        size = m.hidden_size
        zeros = (
            f"{name} = torch.zeros(x.size(0), {size}, device=x.device)  # (N, H)"
            if batched
            else f"{name} = torch.zeros({size}, device=x.device)  # (H)"
        )
        if len(shape) == len(expected) + 1 and shape[0] == 1 and shape[1:] == expected:
            layers = "(1, N, H)" if batched else "(1, H)"
            why = (
                f"{layers} is the (D*num_layers, ...) layout of nn.{m.family.upper()}'s states; "
                f"a cell has no layers or directions, so {name} has no such dimension."
            )
            fix = f"{name} = {name}.squeeze(0)  # {layers} -> {symbols}"
            self.problems.append(Problem(f"{name}-layers", name, head, why, (fix,)))
            return
        if len(shape) != len(expected):
            why = (
                f"the input is a batch of steps (2-D), so {name} must be 2-D too: (N, H)."
                if batched
                else f"the input is one step of one sequence (1-D), so {name} must be 1-D too: (H)."
            )
            self.problems.append(Problem(f"{name}-rank", name, head, why, (zeros,)))
            return
        reasons = []
        if batched and shape[0] != reading.batch:
            reasons.append(
                f"dim 0 is N = {shape[0]}, but the input's batch is N = {reading.batch} "
                f"(input dim 0): {name} was made for another batch size, e.g. a full batch "
                "before a smaller last one; make it from the batch you have"
            )
        if shape[-1] != size:
            k = len(shape) - 1
            reasons.append(f"dim {k} is {shape[-1]}, but must be H = hidden_size = {size}")
        self.problems.append(
            Problem(f"{name}-shape", name, head, "; ".join(reasons) + ".", (zeros,))
        )

    def run(self, original: ModuleSpec) -> Diagnosis:
        self.dtype()
        self.rank()
        self.features()
        reading = self.reading()
        for name in state_names(self.m):
            self.state(name, reading)
        return Diagnosis(original, self.given, tuple(self.problems), reading)


def _state_form(m: ModuleSpec, given: Given) -> tuple[list[Problem], Given]:
    """An LSTM's state is the tuple ``(h0, c0)``, every other module's one tensor ``h0``:
    the other form is a mistake of its own (``trace`` sees it; ``check`` cannot be given
    it). The shapes are then diagnosed as if the form were right."""
    call = f"h1 = {m.kind}(x, h0)" if m.is_cell else f"output, hn = {m.kind}(x, h0)"
    if not m.has_cell and given.c0 is not None:
        problem = Problem(
            "state-tuple",
            "c0",
            f"An nn.{m.class_name} takes its state as one tensor h0, but a tuple (h0, c0) "
            "was passed",
            f"only nn.LSTM and nn.LSTMCell have a cell state c; nn.{m.class_name}'s state is "
            "h alone.",
            (call,),
        )
        return [problem], replace(given, c0=None)
    if m.has_cell and given.h0_alone:
        both = (
            f"h1, c1 = {m.kind}(x, (h0, c0))"
            if m.is_cell
            else f"output, (hn, cn) = {m.kind}(x, (h0, c0))"
        )
        problem = Problem(
            "state-not-tuple",
            "h0",
            f"An nn.{m.class_name} takes its state as a tuple (h0, c0), but h0 was passed alone",
            "the hidden state h and the cell state c go in together; pass neither to start "
            "both from zeros.",
            (f"{both}  # c0: {state_symbols(m, 'c0', True)}; or {m.kind}(x): zeros",),
        )
        return [problem], replace(given, h0_alone=False)
    return [], given


def diagnose(m: ModuleSpec, given: Given, module_dtype: str = "float32") -> Diagnosis:
    """Every mistake in ``given`` for module ``m``, input first, in the order of the fixes.

    ``Diagnosis.module`` and ``Diagnosis.reading`` describe the module and the input once
    the fixes are applied."""
    first, given = _state_form(m, given)
    if m.is_cell:
        found = _CellDiagnoser(m, given, module_dtype).run(m)
    else:
        found = _Diagnoser(m, given, module_dtype).run()
    return replace(found, problems=(*first, *found.problems))


# -- trace: the exception a user's model raised -------------------------------------------

_MATMUL = re.compile(r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)")


@dataclass(frozen=True)
class LayerContext:
    """A recurrent layer as ``trace`` saw it: its configuration and the shapes it was given
    (``None``: not passed), the ``batch_sizes`` of a PackedSequence input, and, when it
    finished, the shape of its ``output``."""

    name: str
    module: ModuleSpec
    input_shape: tuple[int, ...] | None = None
    h0_shape: tuple[int, ...] | None = None
    c0_shape: tuple[int, ...] | None = None
    output_shape: tuple[int, ...] | None = None
    batch_sizes: tuple[int, ...] | None = None


def layer_given(layer: LayerContext) -> Given | None:
    """What ``layer`` was fed, as :func:`diagnose` reads it. A packed input is diagnosed as
    the padded batch it stands for, ``(L, N, H_in)`` with ``N = batch_sizes[0]``."""
    m, shape = layer.module, layer.input_shape
    if shape is None:
        return None
    if layer.batch_sizes and len(shape) == 2:
        steps, batch = len(layer.batch_sizes), layer.batch_sizes[0]
        shape = (batch, steps, shape[1]) if m.batch_first else (steps, batch, shape[1])
    alone = m.has_cell and layer.h0_shape is not None and layer.c0_shape is None
    return Given(shape, h0=layer.h0_shape, c0=layer.c0_shape, h0_alone=alone)


def _after(last: LayerContext, rows: int, cols: int, in_features: int) -> Problem:
    """A matrix product right after a recurrent layer: usually a head built for the wrong
    width."""
    m = last.module
    what = (
        f"A layer after {last.name} expects {in_features} input features but receives "
        f"{cols} ({rows}x{cols})"
    )
    width = "2 * proj_size" if m.proj_size else "2 * hidden_size"
    if m.D == 2 and cols == 2 * m.H_out and in_features == m.H_out:
        why = (
            f"{last.name} is bidirectional: its output has D*H_out = 2*{m.H_out} = "
            f"{2 * m.H_out} features. Build the next layer with in_features = {width}, or use "
            "one direction (e.g. hn[-2] or hn[-1], each H_out wide)."
        )
    elif in_features == m.D * m.H_out:
        why = (
            f"{last.name}'s output has D*H_out = {in_features} features per step, so the "
            "right width arrives only after taking one step (output[:, -1] with batch_first, "
            f"output[-1] without) or hn[-1]; {cols} suggests the time steps were flattened "
            "into the features."
        )
    else:
        why = (
            f"{last.name}'s output has D*H_out = {m.D}*{m.H_out} = {m.D * m.H_out} features "
            f"per step (output {last.output_shape})."
        )
    return Problem("head-in-features", "output", what, why)


def diagnose_failure(
    message: str, failing: LayerContext | None, last_finished: LayerContext | None = None
) -> tuple[Problem, ...]:
    """What the exception a user's model raised means: ``failing`` is the recurrent layer
    it happened in, if any, ``last_finished`` the last one that completed before it.

    In a recurrent layer, the shapes it was given go through :func:`diagnose`, the same
    rules ``check`` applies; torch's ``message`` only recognises the two mistakes outside
    one (float ids fed to an embedding, a head built for the wrong width). Empty when
    nothing is recognised."""
    if "'indices'" in message and "embedding" in message:
        return (
            Problem(
                "input-float-ids",
                "input",
                "The model looks up an nn.Embedding, which takes integer token ids, but the "
                "input was floating point",
                "trace it with --input-dtype int64 (the ids are drawn below the embedding's "
                "num_embeddings).",
            ),
        )
    if failing is not None:
        given = layer_given(failing)
        return () if given is None else diagnose(failing.module, given).problems
    match = _MATMUL.search(message)
    if match and last_finished is not None:
        rows, cols, in_features, _ = (int(g) for g in match.groups())
        return (_after(last_finished, rows, cols, in_features),)
    return ()
