"""The time model against measured runs, on the grid in benchmarks/time-grid.json.

    .venv/bin/python benchmarks/time_grid.py            # measure, print, write the results
    .venv/bin/python benchmarks/time_grid.py --quick    # the first few configurations only

For every configuration, in one process: the calibration of this machine
(lstm_shapes.probe.calibrate), the estimate built on it, and the measured median of 7
forward passes on torch's default path, on the step-by-step path, and of 7 training steps.
The ratios estimate / measured are written to benchmarks/time-grid-results.json; they are
ratios within one run, so a busy machine moves both sides. Runs unchanged on CUDA
(``--device cuda``), where the estimate is on paper.
"""

from __future__ import annotations

import argparse
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
GRID = ROOT / "benchmarks" / "time-grid.json"
RESULTS = ROOT / "benchmarks" / "time-grid-results.json"


def median_seconds(run: Any, sync: Any, repeats: int = 7) -> float:
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the first 4 configurations")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    grid = json.loads(GRID.read_text())["configurations"]
    rows = []
    for config in grid[:4] if args.quick else grid:
        row = measure_one(config, args.device)
        rows.append(row)
        ratios = [
            row[f"{k}_estimate"] / row[f"{k}_measured"] for k in ("forward", "stepwise", "training")
        ]
        print(config, " ".join(f"{r:.2f}" for r in ratios), flush=True)
    import torch

    RESULTS.write_text(
        json.dumps(
            {
                "machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}",
                "python": platform.python_version(),
                "torch": torch.__version__,
                "device": args.device,
                "rows": rows,
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
