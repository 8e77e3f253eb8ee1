"""English messages. A new language is a copy of this file with the values translated
(same keys, same ``{placeholders}``); ``tests/test_teach_catalogue.py`` checks both."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "lang.name": "English",
    "run.line": (
        "Every shape and number here was observed by running torch {torch} on the CPU "
        "(float32, eval mode, seed {seed})."
    ),
    "run.line.reduced": (
        "Reduced run: {reason}. The shapes here are theory at full size, checked by running "
        "torch {torch} on the CPU at {sizes} (float32, eval mode, seed {seed})."
    ),
    "run.sizes": "Sizes: {sizes}",
    # symbols
    "sym.N": "batch size: sequences in the batch",
    "sym.L": "sequence length: time steps",
    "sym.D": "directions: 2 if bidirectional else 1",
    "sym.H_in": "input features (input_size)",
    "sym.H_cell": "cell-state features (hidden_size)",
    "sym.H_out": "hidden-state and output features: proj_size if set, else hidden_size",
    "sym.num_layers": "stacked layers (num_layers)",
    # table headers
    "col.symbol": "symbol",
    "col.meaning": "meaning",
    "col.value": "value",
    "col.argument": "argument",
    "col.effect": "what it changes",
    "col.tensor": "tensor",
    "col.shape": "shape",
    "col.symbols": "in symbols",
    "col.term": "term",
    "col.torch": "in torch",
    "col.parameter": "parameter",
    "col.count": "count",
    "col.cell": "cell",
    "col.direction": "direction",
    "col.x_t": "x_t",
    "col.state_in": "(h, c) in",
    "col.state_out": "(h, c) out",
    "col.lstm": "nn.LSTM",
    "col.loop": "LSTMCell loop",
    "col.diff": "max |diff|",
    "col.verdict": "verdict",
    "col.head": "head",
    "col.reads": "reads",
    "col.features": "features",
    "col.result": "result",
    "col.claim": "claim",
    "col.evidence": "evidence (live run)",
    "col.setup": "module and input",
    "dir.forward": "forward",
    "dir.backward": "backward (t=0 is its last step)",
    "verdict.equal": "equal",
    "verdict.differs": "DIFFERS",
    "verdict.holds": "holds",
    "verdict.fails": "does not hold",
    # the picture
    "diagram.title": "The unrolled network",
    "diagram.lead": (
        "Columns are time steps, rows are layers with the top layer first. Each box is one "
        "step of one layer: h and c travel along the arrows in time, and every box hands its "
        "h up to the layer above."
    ),
    "diagram.lead.bi": (
        "The ← rows are the backward direction: it starts at the last step and finishes at t=0."
    ),
    "diagram.output": "`output` {shape}: the top layer's h at every step.",
    "diagram.output.bi": (
        "`output` {shape}: the top layer's h at every step, forward half first, then the "
        "backward half (D*H_out = {dh})."
    ),
    "diagram.hn": (
        "`hn` {shape}: every layer's h after its last step; row k is layer*D + direction."
    ),
    "diagram.hn.bi": (
        "`hn` {shape}: every layer's h after its last step; row k is layer*D + direction, "
        "and the backward direction's last step is t=0."
    ),
    "diagram.cn": "`cn` {shape}: the same rows for the cell state c (H_cell = {hc}).",
    "diagram.h0": "`h0` {h0} and `c0` {c0}: where each row starts; zeros when not passed.",
    "diagram.elided": "… stands for the steps or layers left out ({steps} steps, {layers} layers).",
    "diagram.h0.only": "`h0` {h0}: where each row starts; zeros when not passed.",
    "arg.nonlinearity": "the activation of nn.RNN: tanh or relu",
    "cube.title": "The data cube",
    "cube.lead.bf": (
        "`input` {shape} = (N, L, H_in) with batch_first=True: dim 0 is the batch, dim 1 "
        "time, dim 2 the features. Cut along time, the same input is one (N, H_in) slice per "
        "step."
    ),
    "cube.lead.tm": (
        "`input` {shape} = (L, N, H_in) with batch_first=False (the default): dim 0 is time, "
        "dim 1 the batch, dim 2 the features. Cut along time, the same input is one (N, H_in) "
        "slice per step."
    ),
    # the gates
    "gates.title": "The gates, term by term",
    "gates.lead": (
        "One step of one layer and direction, as torch computes it (σ is the sigmoid, ⊙ "
        "multiplies element by element; the weight blocks are row blocks of weight_ih and "
        "weight_hh in the order {order}):"
    ),
    "gates.layer": "Layer {layer}",
    "gates.layer.above": "Layer {layer} (every layer above has the same shapes)",
    "gates.x.above": "layer {below}'s output at t=0",
    "gates.x.above.bi": "layer {below}'s output at t=0 (both directions)",
    "gates.check": (
        "Recomputed by hand from these blocks, h at t=0 of layer {layer} (forward) matches "
        "torch's: max |diff| {diff}."
    ),
    "gates.check.failed": (
        "Recomputed by hand, h at t=0 of layer {layer} does NOT match torch's: max |diff| "
        "{diff}. This is a bug in lstm-shapes."
    ),
    "gates.reverse": "The backward direction (_reverse) has its own weights of the same shapes.",
    "gates.proj": (
        "proj_size={p}: h is projected by W_hr, so h has H_out = {p} features while c keeps "
        "H_cell = {hc}."
    ),
    # LSTMCell
    "cell.title": "LSTMCell, proven equal",
    "cell.lead": (
        "The loop below builds one nn.LSTMCell per layer and direction, loads the nn.LSTM's "
        "weights into them and walks the time axis. It is exactly the code that ran."
    ),
    "cell.first.title": "The loop at t=0",
    "cell.compare.title": "nn.LSTM against the loop",
    "cell.ok": "The loop reproduces output, hn and cn to float32 tolerance ({tol}).",
    "cell.ok.h": "The loop reproduces output and hn to float32 tolerance ({tol}).",
    "cell.bad": "The loop does NOT reproduce nn.LSTM: this is a bug in lstm-shapes.",
    "cell.proj": (
        "proj_size={p} cannot be shown with nn.LSTMCell: LSTMCell has no proj_size, so no "
        "loop of LSTMCells reproduces a projected LSTM. The gates section shows the "
        "projection instead."
    ),
    # heads
    "heads.title": "Heads on top of the LSTM",
    "heads.lead": (
        "A Linear head reads features of size D*H_out = {d}*{h} = {dh}: that, not "
        "hidden_size, is its in_features."
    ),
    "heads.last": "last: one prediction per sequence (classification)",
    "heads.every": "every: one prediction per time step (regression)",
    "heads.summary.uni": (
        "The last step's summary is `hn[-1]`, equal to `{expr}` (max |diff| {diff})."
    ),
    "heads.summary.bi": (
        "With two directions the summary joins two ends: the forward direction finishes at "
        "the last step, the backward one at t=0. `torch.cat([hn[-2], hn[-1]], dim=1)` equals "
        "`{fwd}` and `{bwd}` side by side (max |diff| {diff})."
    ),
    "heads.not_last": (
        "`{wrong}` is not the backward summary: at the last step the backward direction has "
        "read one input only (max |diff| against hn[-1]: {diff})."
    ),
    "heads.wrong": "`nn.Linear({h}, {k})` on output fails; torch says: {error}",
    "heads.coincide": (
        "Here D*H_out equals hidden_size ({h}), so Linear(hidden_size, K) happens to fit; it "
        "breaks as soon as bidirectional=True or proj_size is set."
    ),
    # myths
    "myths.title": "Myths, tested live",
    "myths.lead": (
        'Each claim was run on torch {torch}: "holds" or "does not hold" is what the run '
        "showed, and the evidence is the numbers that decide it. {count} claims, {wrong} of "
        "them wrong."
    ),
    "myth.batch-first-moves-state.claim": (
        "With batch_first=True, h0/c0/hn/cn move the batch to the front too: (N, D*num_layers, H)."
    ),
    "myth.batch-first-moves-state.evidence": (
        "hn is {hn} and cn {cn}: (D*num_layers, N, H) as always. An h0 of {wrong} is "
        "rejected: {error}"
    ),
    "myth.cn-is-forget-gate.claim": "cn is the forget gate's value at the last step.",
    "myth.cn-is-forget-gate.evidence": (
        "cn equals the cell state f*c + i*g recomputed for the last step (max |diff| "
        "{diff_c}), not the forget gate f (max |diff| {diff_f}); cn ranges from {cmin} to "
        "{cmax}, and a sigmoid gate is never negative."
    ),
    "myth.bidirectional-state-is-time-x2.claim": (
        "For a bidirectional LSTM, the first dimension of hn and cn is seq_len * 2."
    ),
    "myth.bidirectional-state-is-time-x2.evidence": (
        "hn is {hn}: {rows} = D*num_layers = 2*2 rows, not seq_len*2 = {time2}."
    ),
    "myth.output-is-last-step.claim": "output is the hidden state of the last time step only.",
    "myth.output-is-last-step.evidence": (
        "output is {output}: all {steps} steps; output[:, 0] and output[:, -1] differ by "
        "up to {diff}."
    ),
    "myth.output-top-layer-hn-every-layer.claim": (
        "output holds the top layer at every step; hn holds every layer at the last step."
    ),
    "myth.output-top-layer-hn-every-layer.evidence": (
        "output {output}, hn {hn}; hn[-1] equals output[:, -1] (max |diff| {top}), hn[0] "
        "(the lower layer) does not (max |diff| {lower})."
    ),
    "myth.bidirectional-hn-slices.claim": (
        "Bidirectional, batch_first: hn[-2] is output[:, -1, :H_out] and hn[-1] is "
        "output[:, 0, H_out:]."
    ),
    "myth.bidirectional-hn-slices.evidence": (
        "max |diff| {fwd} for the forward pair and {bwd} for the backward pair."
    ),
    "myth.last-step-is-both-directions.claim": (
        "In a bidirectional LSTM, output[:, -1, :] summarises the whole sequence in both "
        "directions."
    ),
    "myth.last-step-is-both-directions.evidence": (
        "Its backward half differs from hn[-1] by up to {vs_hn}, and equals the backward "
        "half of a run on the last input alone (max |diff| {vs_alone})."
    ),
    "myth.default-state-random.claim": (
        "When h0 and c0 are not passed, torch initialises them with random numbers."
    ),
    "myth.default-state-random.evidence": (
        "Two calls without them give identical outputs (max |diff| {again}), the same as "
        "passing zeros (max |diff| {zeros})."
    ),
    "myth.state-must-be-passed.claim": "You must create h0 and c0 and pass them on every call.",
    "myth.state-must-be-passed.evidence": (
        "lstm(x) runs without them: output {output}, hn {hn}, cn {cn}."
    ),
    "myth.zeros-num-layers.claim": (
        "h0 = torch.zeros(num_layers, N, hidden_size) works for any LSTM."
    ),
    "myth.zeros-num-layers.evidence": (
        "With bidirectional=True an h0 of {shape} is rejected: {error}. The first "
        "dimension is D*num_layers: {right}."
    ),
    "myth.zeros-without-device.claim": (
        "h0 = torch.zeros(...) without device=x.device is fine wherever the model runs."
    ),
    "myth.zeros-without-device.evidence": (
        "torch.zeros makes a {device} tensor. With the model and x on another device (meta "
        "stands in for a GPU here): {error}. With device=x.device it runs: output {fixed}."
    ),
    "myth.linear-takes-hidden-size.claim": (
        "The Linear layer after an LSTM takes in_features=hidden_size."
    ),
    "myth.linear-takes-hidden-size.evidence": (
        "Bidirectional output is {output}; Linear(20, 1) on it fails: {error}. "
        "Linear(D*H_out = 40, 1) gives {right}."
    ),
    "myth.three-gate-blocks.claim": (
        "An LSTM has three gates, so weight_ih_l0 stacks 3*hidden_size rows."
    ),
    "myth.three-gate-blocks.evidence": (
        "weight_ih_l0 is {weight}: {rows} = 4*hidden_size rows, blocks i, f, g, o; "
        "recomputing h at t=0 from the four blocks matches torch (max |diff| {diff})."
    ),
    "myth.concat-one-matrix.claim": (
        "One weight matrix applied to [x_t, h_(t-1)] computes the same gates as torch's "
        "W_ih x_t + b_ih + W_hh h_(t-1) + b_hh."
    ),
    "myth.concat-one-matrix.evidence": (
        "[weight_ih_l0, weight_hh_l0] is {w}; with bias_ih + bias_hh it reproduces h at t=0 "
        "(max |diff| {diff})."
    ),
    "myth.proj-size-shrinks-c.claim": "proj_size shrinks both h and c.",
    "myth.proj-size-shrinks-c.evidence": (
        "proj_size=5: output {output}, hn {hn}, but cn {cn} keeps hidden_size; "
        "weight_hr_l0 is {weight_hr}."
    ),
    "myth.packed-hn-is-padded-end.claim": (
        "With a packed batch of different lengths, hn is the state at the padded end (step "
        "L-1) of every sequence."
    ),
    "myth.packed-hn-is-padded-end.evidence": (
        "hn[-1] equals output at each sequence's last real step (max |diff| {real}) and "
        "differs from the padded end (up to {end}); the padded tail of output is zeros "
        "(max |value| {tail})."
    ),
    "myth.input-must-be-3d.claim": "nn.LSTM only accepts 3-D input.",
    "myth.input-must-be-3d.evidence": (
        "A 2-D input (L, H_in) is one unbatched sequence: output {output}, hn {hn}, cn {cn}."
    ),
    "myth.bidirectional-doubles-parameters.claim": (
        "bidirectional=True exactly doubles the number of parameters."
    ),
    "myth.bidirectional-doubles-parameters.evidence": (
        "1 layer: {one} → {one_bi} (×2); 2 layers: {two} → {two_bi} (×{ratio}), because "
        "layer 1's weight_ih widens to D*H_out columns: {wide}."
    ),
    "myth.dropout-skips-last-layer.claim": (
        "dropout acts between stacked layers only, never on the last layer's output."
    ),
    "myth.dropout-skips-last-layer.evidence": (
        "With num_layers=1 and dropout=0.5, training mode and eval mode give the same "
        'output (max |diff| {diff}); torch warns: "{warning}".'
    ),
    # handout
    "handout.title": "The shapes of nn.LSTM: a handout",
    "symbols.title": "The symbols",
    "args.title": "The constructor arguments",
    "arg.input_size": "H_in: features per time step; the last dimension of input",
    "arg.hidden_size": "H_cell: features of c (and of h unless proj_size)",
    "arg.num_layers": "stacked layers; the first dimension of h0/c0/hn/cn is D*num_layers",
    "arg.bias": "adds bias_ih and bias_hh to every layer and direction",
    "arg.batch_first": "input and output become (N, L, ...); h and c do not move",
    "arg.dropout": "dropout between stacked layers, in training mode only",
    "arg.bidirectional": "D = 2: a backward direction; output ends in D*H_out",
    "arg.proj_size": "projects h to H_out = proj_size; c keeps H_cell",
    "shapes.title": "The shapes",
    "tensor.input": "the sequences fed in",
    "tensor.h0": "initial hidden state of every layer and direction",
    "tensor.c0": "initial cell state of every layer and direction",
    "tensor.output": "top layer's h at every step",
    "tensor.hn": "every layer's h after its last step",
    "tensor.cn": "every layer's c after its last step",
    "variants.title": "batch_first × bidirectional, side by side",
    "variants.lead": "The same sizes with the two switches flipped, each run for real:",
    "variants.rule.batch_first": "batch_first swaps N and L in input and output only.",
    "variants.rule.bidirectional": (
        "bidirectional doubles the last dimension of output and the first of h0/c0/hn/cn."
    ),
    "params.title": "The parameters",
    "params.lead": "named_parameters() in order; {count} numbers in total.",
    "code.title": "Reproduce it",
    "code.lead": "This PyTorch code builds the same module and prints the same shapes:",
    # pictures
    "fig.forward": "forward",
    "fig.backward": "backward",
    "fig.reduced": "reduced run: the sizes are the full configuration's, checked on a smaller run",
    "fig.cube.title": "The input {shape} as a data cube",
    "fig.cube.desc": (
        "A box of the input {shape} = {layout}: one dimension upright, one in depth and "
        "H_in across. The thin planes are the time steps; the step read at time t, a "
        "({n}, {h_in}) matrix, is lifted out on the right."
    ),
    "fig.cube.slice": "what the layer reads at step t",
    "fig.unrolled.title": "{kind} unrolled in time",
    "fig.unrolled.desc": (
        "{layers} layers and {d} direction(s) as rows, top layer first, {steps} time steps "
        "as columns. h0 (and c0) enter where each row starts, hn (and cn) leave where it "
        "ends; the backward rows run right to left and end at t=0. output {output} is the "
        "top layer at every step, hn {hn} every row at its end."
    ),
    "fig.unrolled.legend": (
        "arrows along a row carry h (and c) in time; arrows up hand h to the layer above"
    ),
    "fig.halves.title": "output's last dimension, split in two halves",
    "fig.halves.desc.bi": (
        "output's last dimension has D*H_out = {dh} features: the forward half [:{h}] and "
        "the backward half [{h}:]. The forward half at the last step is hn[-2]; the backward "
        "half at t=0 is hn[-1]; the backward half at the last step is not hn[-1]."
    ),
    "fig.halves.desc.uni": (
        "With one direction, output at the last step is the top layer's hn[-1] "
        "(H_out = {h} features)."
    ),
    "fig.halves.backward_end": "the backward direction ends here",
    "fig.cell.title": "Inside one {kind} step",
    "fig.cell.desc.lstm": (
        "The four gates (input, forget, cell candidate, output) each read x_t and h_(t-1) and "
        "give H_cell = {hc} features; c_t = f_t ⊙ c_(t-1) + i_t ⊙ g_t and "
        "h_t = o_t ⊙ tanh(c_t) with H_out = {ho} features."
    ),
    "fig.cell.desc.gru": (
        "The reset and update gates and the candidate each read x_t and h_(t-1) and give "
        "{ho} features; h_t mixes h_(t-1) and the candidate."
    ),
    "fig.cell.desc.rnn": "One activation of x_t and h_(t-1) gives h_t with {ho} features; no gates.",
    "fig.cell.proj": "projection",
    "fig.cell.weights": (
        "weight_ih stacks the {k} blocks: ({k}*{h}, input features); weight_hh: ({k}*{h}, H_out)"
    ),
    "fig.packed.title": "A packed batch, lengths {lengths}",
    "fig.packed.desc": (
        "One row per sequence (lengths {lengths}), one column per step. Real steps are "
        "blue, padding is grey and never run; batch_sizes counts the sequences still running "
        "at each step; hn marks where each sequence's hn is taken: its last real step."
    ),
    "fig.packed.legend": "grey: padding (never run; zeros in the unpacked output)",
    "fig.heads.title": "Two heads on top",
    "fig.heads.desc": (
        "A Linear(in_features = D*H_out = {dh}, out_features = K = {k}) on the last step "
        "gives (N, K); on every step of output it gives (N, L, K)."
    ),
    # the gates, named
    "gates.names.title": "What each gate does",
    "gate.lstm.i.name": "input gate",
    "gate.lstm.i.what": "decides how much of the candidate g_t is written into the cell state.",
    "gate.lstm.f.name": "forget gate",
    "gate.lstm.f.what": "decides how much of the previous cell state c_(t-1) is kept.",
    "gate.lstm.g.name": "cell candidate",
    "gate.lstm.g.what": "proposes new values for the cell state (tanh, so between -1 and 1).",
    "gate.lstm.o.name": "output gate",
    "gate.lstm.o.what": "decides how much of tanh(c_t) becomes the hidden state h_t.",
    "gate.gru.r.name": "reset gate",
    "gate.gru.r.what": "decides how much of h_(t-1) the candidate n_t reads.",
    "gate.gru.z.name": "update gate",
    "gate.gru.z.what": "decides how much of h_(t-1) is kept; the rest comes from n_t.",
    "gate.gru.n.name": "candidate state",
    "gate.gru.n.what": "proposes the new hidden state from x_t and the reset h_(t-1).",
    "gate.rnn.h.name": "new hidden state",
    "gate.rnn.h.what": "one activation of x_t and h_(t-1): no gates, nothing is kept apart.",
    "eq.shape": "shape",
    "stepper.label": "time step t",
    "stepper.hint": "moves the highlight in the cube, the unrolled network and the equations",
    "pictures.title": "More pictures: one step, a packed batch, the heads",
    "halves.title": "output and hn, side by side",
    "halves.lead": (
        "Where hn sits inside output. Torch computed both; the identities below hold to "
        "float32 tolerance."
    ),
    # worked examples
    "worked.title": "Worked examples at this configuration",
    "worked.lead": "Each program below ran as shown; the shapes are what torch printed.",
    "worked.proj.title": "The same module with proj_size={p}",
    "worked.proj.after": (
        "h and output shrink to H_out = proj_size = {p}; c keeps H_cell = hidden_size = {h}; "
        "every layer and direction gains weight_hr (proj_size, hidden_size)."
    ),
    "worked.unbatched.title": "One unbatched sequence",
    "worked.unbatched.after": (
        "A 2-D input (L, H_in) is one sequence without a batch dimension: output loses N, "
        "and h0/hn/cn are (D*num_layers, H_out) with no N either."
    ),
    "worked.packed.title": "A packed batch: pack_padded_sequence and pad_packed_sequence",
    "worked.packed.after": (
        "lengths {lengths}: packed.data stacks only the {total} real steps; batch_sizes is "
        "[{batch_sizes}]. Each sequence's hn is taken at its own last real step "
        "(max |diff| {diff} against output there), and the padded tail of output is zeros "
        "(max |value| {tail})."
    ),
    "worked.params.title": "Counting the parameters",
    "worked.params.lead": (
        "Per layer and direction: weight_ih ({k}*H_cell × in_features) + weight_hh "
        "({k}*H_cell × H_out) + bias_ih and bias_hh ({k}*H_cell each){proj}. in_features is "
        "H_in for layer 0 and D*H_out above."
    ),
    "worked.params.proj": " + weight_hr (H_out × H_cell)",
    "worked.params.formula": "{formula} = {count}",
    "worked.params.after": (
        "Per layer (both directions): {per_layer}; in total {total}, what sum(p.numel()) printed."
    ),
    "col.expression": "expression",
    # exercises
    "exercises.title": "Exercises",
    "exercises.lead": (
        "For the module and input of this handout. Write the shape as a tuple, e.g. (2, 5). "
        "The answers are at the end; torch decided each one."
    ),
    "answers.title": "Answers",
    "ex.output": "What is the shape of `output`?",
    "ex.hn": "What is the shape of `hn`?",
    "ex.cn": "What is the shape of `cn`?",
    "ex.last": "What is the shape of `{expr}`?",
    "ex.in_features": "A Linear head reads `output`. What must its `in_features` be?",
    "ex.backward": (
        "`hn[-1]` is the top layer's backward direction. Which slice of `output` equals it?"
    ),
    "ex.top": "`hn[-1]` is the top layer after the last step. Which slice of `output` equals it?",
    "ex.params": "How many numbers do the module's parameters hold in total?",
    "ex.weight_ih_l1": "What is the shape of `weight_ih_l1`?",
    "ex.weight_hh_l0": "What is the shape of `weight_hh_l0`?",
    "ex.flip": "With `batch_first={flip}` and the same sizes, what is the shape of `output`?",
    "ex.unbatched": "The same module reads one sequence x of shape (L, H_in) with L = {L}. "
    "What is the shape of `hn`?",
    "ex.proj": "With `proj_size={p}`, what are the shapes of `hn` and `cn`?",
    "ex.packed": (
        "A packed batch has lengths {lengths}. Sequence {b}'s forward hidden state in "
        "`{top}[{b}]` equals `output` at which index (after `pad_packed_sequence`)?"
    ),
    "ex.cn_holds": "What does `cn` hold: the forget gate, or the cell state? Give its shape too.",
    "ex.cn_holds.answer": "the cell state c of every layer and direction after its last step",
    "footer": "Made with lstm-shapes {version}: {command}",
}
