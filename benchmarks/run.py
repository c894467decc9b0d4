"""Trains the seed models with neuroflow and its peers in one run and prints a table.

    python benchmarks/run.py                 # all models, all installed peers
    python benchmarks/run.py --models seed000 --epochs 3 --frameworks neuroflow torch

Each (model, framework) pair runs in its own subprocess, so peak memory (ru_maxrss) is
that framework's alone and thread pools do not interfere. Every framework trains with
one ``fit(epochs=E)`` call (PyTorch: one loop), ``verbose=0`` unless ``--verbose 1`` asks
for the progress bar the seeds show (it goes to a pipe; Keras pays for it, see README).
"s/epoch" is the median over the epochs after the first (the first includes warm-up and
graph tracing); "fit wall s/epoch" is the whole call divided by E (data conversion and
warm-up included). Ratios are peer time / neuroflow time: above 1 means neuroflow is
faster. Results are also written to benchmarks/results/latest.json (latest_verbose1.json
with --verbose 1; ``--output NAME`` writes NAME instead, so a partial run leaves them be).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import models as model_defs  # noqa: E402  (benchmarks/models.py, beside this file)

FRAMEWORKS = ("neuroflow", "torch", "keras", "sklearn")
PEER_MODULES = {"torch": "torch", "keras": "tensorflow", "sklearn": "sklearn"}


def available(framework: str) -> bool:
    module = PEER_MODULES.get(framework)
    return module is None or importlib.util.find_spec(module) is not None


def run_child(model: str, framework: str, epochs: int, timeout: int, verbose: int) -> dict:
    cmd = [sys.executable, str(HERE / "models.py"), model, framework, str(epochs), str(verbose)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout}s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:200]}


def import_seconds(module: str, repeats: int = 3) -> float | None:
    """Fastest of a few cold ``import module`` times, each in a fresh interpreter."""
    if importlib.util.find_spec(module) is None:
        return None
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return min(times)


def fmt(value, spec):
    return "-" if value is None else format(value, spec)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(model_defs.MODELS))
    parser.add_argument("--frameworks", nargs="*", default=list(FRAMEWORKS))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--timeout", type=int, default=1800)
    parser.add_argument("--repeats", type=int, default=2, help="interleaved rounds per run")
    parser.add_argument(
        "--verbose",
        type=int,
        choices=(0, 1),
        default=0,
        help="fit's verbose for neuroflow and Keras; 1 shows the progress bar, as the seeds do",
    )
    parser.add_argument("--output", help="file name under benchmarks/results for the JSON")
    args = parser.parse_args(argv)

    jobs = []
    for model in args.models:
        for fw in args.frameworks:
            if fw not in model_defs.MODELS[model]["frameworks"]:
                continue
            if not available(fw):
                print(f"{model:16s} {fw:10s} skipped: not installed", flush=True)
                continue
            jobs.append((model, fw))

    # Rounds interleave the frameworks, so a noisy neighbour slows them alike; each keeps
    # its fastest round (its accuracy and memory come from that round too).
    best: dict = {}
    for round_no in range(args.repeats):
        for model, fw in jobs:
            r = run_child(model, fw, args.epochs, args.timeout, args.verbose)
            r.update(model=model, framework=fw, round=round_no)
            if "error" in r:
                print(f"{model:16s} {fw:10s} error: {r['error']}", flush=True)
                continue
            print(
                f"{model:16s} {fw:10s} round {round_no + 1}: {r['sec_per_epoch']:.3f} s/epoch, "
                f"acc {r['test_accuracy']:.4f}, peak {r['peak_mb']:.0f} MB",
                flush=True,
            )
            key = (model, fw)
            if key not in best or r["sec_per_epoch"] < best[key]["sec_per_epoch"]:
                best[key] = r
    results = list(best.values())

    print()
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; epochs per run: {args.epochs}, "
        f"best of {args.repeats} interleaved rounds"
    )
    print(
        "| model | framework | batch | s/epoch | peer/neuroflow | fit wall s/epoch "
        "| test acc | peak MB | notes |"
    )
    print("|" + "---|" * 9)
    for model in args.models:
        rows = [r for r in results if r["model"] == model and "error" not in r]
        base = next((r for r in rows if r["framework"] == "neuroflow"), None)
        for r in rows:
            ratio = (
                base["sec_per_epoch"] and r["sec_per_epoch"] / base["sec_per_epoch"]
                if base
                else None
            )
            print(
                f"| {model} | {r['framework']} | {r['batch_size']} | "
                f"{r['sec_per_epoch']:.3f} | {fmt(ratio, '.2f')} | {r['wall_per_epoch']:.3f} | "
                f"{r['test_accuracy']:.4f} | {r['peak_mb']:.0f} | {r.get('notes', '')} |"
            )
    latency = [r for r in results if "predict_one_us" in r]
    if latency:
        print()
        print("| model | framework | predict(1 sample) µs | model(x) µs |")
        print("|---|---|---|---|")
        for r in latency:
            print(
                f"| {r['model']} | {r['framework']} | {fmt(r['predict_one_us'], '.1f')} | "
                f"{fmt(r.get('call_one_us'), '.1f')} |"
            )
    imports = {m: import_seconds(m) for m in ("neuroflow", "torch", "tensorflow", "sklearn")}
    print()
    print("| import | seconds |")
    print("|---|---|")
    for module, seconds in imports.items():
        print(f"| {module} | {fmt(seconds, '.2f')} |")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = args.output or ("latest.json" if args.verbose == 0 else "latest_verbose1.json")
    (out / name).write_text(
        json.dumps(
            {
                "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "epochs": args.epochs,
                "repeats": args.repeats,
                "verbose": args.verbose,
                "cpu_count": os.cpu_count(),
                # set on this machine; it picks NumPy's OpenBLAS kernels (see README)
                "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
                "results": results,
                "import_seconds": imports,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
