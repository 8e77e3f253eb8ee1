"""The time model against measured runs, on the fitting grid (benchmarks/time-grid.json and
benchmarks/drawn-grid.json) or the held-out one (benchmarks/holdout-grid.json).

    .venv/bin/python benchmarks/time_grid.py                 # measure, print, write the results
    .venv/bin/python benchmarks/time_grid.py --grid holdout  # the held-out grid
    .venv/bin/python benchmarks/time_grid.py --quick         # the first few configurations only
    .venv/bin/python benchmarks/time_grid.py --missing       # only the rows not stored yet
    .venv/bin/python benchmarks/time_grid.py --summary       # re-judge the stored measurements
                                                             # (earlier machines' too)
    .venv/bin/python benchmarks/time_grid.py --steps-only    # only the cost per step

For every configuration, in one process: the calibration of this machine
(lstm_shapes.probe.calibrate), the estimate built on it, and the measured median of 7
forward passes on torch's default path, on the step-by-step path, and of 7 training steps.
The ratios estimate / measured are written to benchmarks/time-grid-results.json (held out:
benchmarks/holdout-time-results.json); they are ratios within one run, so a busy machine
moves both sides. ``--summary`` recomputes the estimates of stored rows with the current
model and the rates calibrated in that run. Runs unchanged on CUDA
(``--device cuda``), where the estimate is on paper.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
#: grid name: (configuration files, results)
GRIDS = {
    "fit": (("time-grid.json", "drawn-grid.json"), "time-grid-results.json"),
    "holdout": (("holdout-grid.json",), "holdout-time-results.json"),
}
KINDS = ("forward", "stepwise", "training")


def results_files(grid: str) -> list[Path]:
    """The results of ``grid``: this machine's (the file ``GRIDS`` names), then those kept
    from earlier machines (``<name>.<machine>.json``, e.g. time-grid-results.l3-105mib.json),
    which fit_time.py fits on as well."""
    main = ROOT / "benchmarks" / GRIDS[grid][1]
    return [main, *sorted(main.parent.glob(f"{main.stem}.*.json"))]


def configurations(files: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        config
        for name in files
        for config in json.loads((ROOT / "benchmarks" / name).read_text())["configurations"]
    ]


def median_seconds(run: Any, sync: Any, repeats: int = 7) -> float:
    """The median of ``repeats`` runs after a warm-up, as ``--time`` measures
    (lstm_shapes.probe.measure.timed_runs); 3 runs when one takes over half a second (the
    grid's largest), so the grid runs in minutes."""
    from lstm_shapes.probe.measure import timed_runs

    if timed_runs(run, sync, 1)[0] > 0.5:
        repeats = 3
    return statistics.median(timed_runs(run, sync, repeats))


def measure_one(config: dict[str, Any], device_name: str) -> dict[str, Any]:
    import torch

    from lstm_shapes.probe.calibrate import calibrate
    from lstm_shapes.probe.runtime import build_module, without_onednn
    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost
    from lstm_shapes.theory import shapes as theory

    spec = make_spec(**config, device=device_name)
    rates = calibrate()
    estimate = cost.estimate(spec)
    device = torch.device(device_name)
    dtype = getattr(torch, spec.run.dtype)
    module = build_module(torch, spec.module).to(device=device, dtype=dtype).eval()
    x = torch.randn(theory.tensor_shapes(spec)["input"].shape, device=device, dtype=dtype)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    def forward() -> None:
        with torch.no_grad():
            module(x)

    def train_step() -> None:
        output, _ = module(x)
        output.sum().backward()
        module.zero_grad(set_to_none=True)

    measured = median_seconds(forward, sync)
    with without_onednn(torch):
        stepwise = median_seconds(forward, sync)
    module.train()
    training = median_seconds(train_step, sync)
    return {
        "config": config,
        "fused": estimate.fused,
        "forward_flops": estimate.forward,
        "rates": rates.as_dict(),
        "forward_measured": measured,
        "forward_estimate": estimate.forward_seconds(rates=rates),
        "stepwise_measured": stepwise,
        "stepwise_estimate": estimate.forward_seconds(stepwise=True, rates=rates),
        "training_measured": training,
        "training_estimate": estimate.training_seconds(rates=rates),
    }


#: (family, proj_size) of the step-dominated modules timed by step_ratios
STEP_MODULES = {
    "lstm": ("lstm", 0),
    "gru": ("gru", 0),
    "rnn": ("rnn", 0),
    "projection": ("lstm", 1),
}
STEP_LENGTH = 2000


def step_ratios() -> dict[str, dict[str, dict[str, float]]]:
    """The fixed cost of one step, per kernel, family and pass, as a multiple of the
    calibrated step of that kernel (an nn.LSTM(4, 8) step): 2,000 steps of a module with
    hidden size 2, whose products cost nothing (``projection``: what proj_size adds to an
    LSTM step). The fastest of a few runs, as the calibration takes. fit_time.py fits the
    *_steps coefficients and prints these beside them: a check on the fit, not its input."""
    import torch

    from lstm_shapes.probe.calibrate import calibrate
    from lstm_shapes.probe.runtime import without_onednn

    rates = calibrate()
    x = torch.randn(STEP_LENGTH, 1, 1)

    def per_step(module: Any, train: bool, unit: float) -> float:
        return _fastest(torch, module, x, train, 5) / STEP_LENGTH / unit

    out: dict[str, dict[str, dict[str, float]]] = {"fused": {}, "step-by-step": {}}
    fused = torch.nn.LSTM(1, 2)
    for kind in ("forward", "training"):
        train = kind == "training"
        out["fused"][kind] = {
            "lstm": round(per_step(fused, train, rates.seconds_per_fused_step), 3)
        }
        out["fused"][kind].update(call_ratios(torch, train, rates.seconds_per_fused_call))
    with without_onednn(torch):
        for kind in ("forward", "training"):
            train = kind == "training"
            times = {}
            for name, (family, proj) in STEP_MODULES.items():
                make = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[family]
                module = make(1, 2, proj_size=proj) if proj else make(1, 2)
                times[name] = per_step(module, train, rates.seconds_per_step)
            times["projection"] -= times["lstm"]
            out["step-by-step"][kind] = {k: round(max(0.0, v), 3) for k, v in times.items()}
            out["step-by-step"][kind].update(call_ratios(torch, train, rates.seconds_per_call))
    return out


def call_ratios(torch: Any, train: bool, unit: float) -> dict[str, float]:
    """The fixed cost of a call and of each further layer and direction, as multiples of
    ``unit``, the calibrated cost of a call of the kernel in use: one step of
    nn.LSTM(1, 2), and of 8 bidirectional layers of it (15 more layers and directions).
    Keyed ``call`` and ``layer`` (the coefficients of the call and layer_calls terms)."""
    x = torch.randn(1, 1, 1)
    one = _fastest(torch, torch.nn.LSTM(1, 2), x, train, 7)
    deep = _fastest(torch, torch.nn.LSTM(1, 2, num_layers=8, bidirectional=True), x, train, 7)
    return {
        "call": round(one / unit, 3),
        "layer": round(max(0.0, deep - one) / 15 / unit, 3),
    }


def _fastest(torch: Any, module: Any, x: Any, train: bool, repeats: int) -> float:
    """The fastest of ``repeats`` calls after a warm-up: a forward without autograd, or
    with ``train`` a forward and backward."""

    def run() -> None:
        if train:
            output, _ = module(x)
            output.sum().backward()
        else:
            with torch.no_grad():
                module(x)

    run()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def stored_rates(row: dict[str, Any]) -> Any:
    """The MachineRates calibrated in the run that measured ``row`` (rates stored before a
    field existed take its default)."""
    from lstm_shapes.theory import cost

    fields = {field.name for field in dataclasses.fields(cost.MachineRates)}
    return cost.MachineRates(**{k: v for k, v in row["rates"].items() if k in fields})


def with_estimates(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the current model's estimates at the rates calibrated in its run."""
    from lstm_shapes.spec.core import make_spec
    from lstm_shapes.theory import cost

    estimate = cost.estimate(make_spec(**row["config"]))
    rates = stored_rates(row)
    return {
        **row,
        "fused": estimate.fused,
        "forward_estimate": estimate.forward_seconds(rates=rates),
        "stepwise_estimate": estimate.forward_seconds(stepwise=True, rates=rates),
        "training_estimate": estimate.training_seconds(rates=rates),
    }


def ratios(row: dict[str, Any]) -> list[float]:
    return [row[f"{k}_estimate"] / row[f"{k}_measured"] for k in KINDS]


def write(
    results: Path,
    device: str,
    rows: list[dict[str, Any]],
    machine: str,
    steps: dict[str, Any] | None = None,
    versions: tuple[str, str] | None = None,
) -> None:
    """Write ``rows`` with the current model's estimates; ``versions``: the (Python,
    torch) they were measured with, where not this process's (an earlier machine's)."""
    import torch

    python, torch_version = versions or (platform.python_version(), torch.__version__)
    rows = [with_estimates(row) for row in rows]
    every = [ratios(row) for row in rows]
    spread = {k: [min(r[i] for r in every), max(r[i] for r in every)] for i, k in enumerate(KINDS)}
    print(json.dumps({k: [round(v, 2) for v in pair] for k, pair in spread.items()}))
    document = {
        "machine": machine,
        "python": python,
        "torch": torch_version,
        "device": device,
        "ratios": spread,
        "step_ratios": steps,
        "rows": rows,
    }
    results.write_text(json.dumps(document, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first 4 configurations")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="fit")
    parser.add_argument(
        "--summary", action="store_true", help="re-judge the stored results, measure nothing"
    )
    parser.add_argument(
        "--missing",
        action="store_true",
        help="measure only configurations without a stored row (keeps the stored step_ratios)",
    )
    parser.add_argument(
        "--steps-only",
        action="store_true",
        help="measure only the cost per step (step_ratios) into the stored results",
    )
    args = parser.parse_args()
    files, name = GRIDS[args.grid]
    results = ROOT / "benchmarks" / name
    if args.summary:
        for path in results_files(args.grid):
            stored = json.loads(path.read_text())
            print(path.name, end=": ")
            versions = (stored["python"], stored["torch"])
            write(
                path, stored["device"], stored["rows"], stored["machine"],
                stored.get("step_ratios"), versions,
            )  # fmt: skip
        return
    if args.steps_only:
        stored = json.loads(results.read_text())
        write(results, stored["device"], stored["rows"], stored["machine"], step_ratios())
        return
    grid = configurations(files)
    stored_document = json.loads(results.read_text()) if args.missing else {}
    stored = {_key(row["config"]): row for row in stored_document.get("rows", [])}
    rows = []
    for config in grid[:4] if args.quick else grid:
        if _key(config) in stored:
            rows.append(stored[_key(config)])
            continue
        row = measure_one(config, args.device)
        rows.append(row)
        print(config, " ".join(f"{r:.2f}" for r in ratios(row)), flush=True)
    machine = f"{describe_machine()}, load average {os.getloadavg()[0]:.1f}"
    if stored_document:
        machine = f"{stored_document['machine']}; rows added with {machine}"
        steps = stored_document.get("step_ratios")
    else:
        steps = step_ratios() if args.device == "cpu" else None
    write(results, args.device, rows, machine, steps)


def describe_machine() -> str:
    """The CPUs and their last-level cache, as Linux names them (the rates the time model
    calibrates differ between machines, and so do oneDNN's kernels)."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cache = Path("/sys/devices/system/cpu/cpu0/cache/index3/size")
    size = cache.read_text().strip() if cache.exists() else ""
    if size.endswith("K") and size[:-1].isdigit():
        size = f"{int(size[:-1]) / 1024:g} MiB"
    l3 = f", L3 {size}" if size else ""
    return f"{os.cpu_count()} CPUs ({model}{l3})"


def _key(config: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in config.items() if k != "device"}, sort_keys=True)


if __name__ == "__main__":
    main()
