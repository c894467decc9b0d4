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


def child_command(model: str, framework: str, epochs: int, verbose: int, train_size: int = 0):
    return [
        sys.executable, str(HERE / "models.py"), model, framework, str(epochs), str(verbose),
        str(train_size),
    ]  # fmt: skip


CHILD_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}

PEER_ISA_ENV = {
    # The environment pins NumPy's OpenBLAS to its Haswell (AVX2) kernels with
    # OPENBLAS_CORETYPE; the peers pick their own kernels at run time (PyTorch's ATen and
    # MKL, oneDNN in PyTorch and TensorFlow) and use AVX-512 where the CPU has it.
    # ``--peer-isa avx2`` holds them to AVX2 too, for a comparison at the same vector width.
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "DNNL_MAX_CPU_ISA": "AVX2",
    },
    "native": {},
}


def child_env(framework: str, peer_isa: str = "native") -> dict:
    """The environment of a framework's subprocess (the peers' vector width, see above)."""
    if framework == "neuroflow":
        return CHILD_ENV
    return {**CHILD_ENV, **PEER_ISA_ENV[peer_isa]}


def parse_result(stdout: str, stderr: str) -> dict:
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"error": (stderr.strip().splitlines() or ["no output"])[-1][:200]}


def run_child(
    model: str, framework: str, epochs: int, timeout: int, verbose: int, train_size: int = 0,
    peer_isa: str = "native",
) -> dict:  # fmt: skip
    cmd = child_command(model, framework, epochs, verbose, train_size)
    env = child_env(framework, peer_isa)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout}s"}
    return parse_result(proc.stdout, proc.stderr)


def run_children_at_once(cmds: list, timeout: int) -> list[dict]:
    """Starts every command at the same moment and waits for all of them."""
    procs = [
        subprocess.Popen(
            c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=CHILD_ENV
        )
        for c in cmds
    ]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=timeout)
            results.append(parse_result(out, err))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            results.append({"error": f"timed out after {timeout}s"})
    return results


BUSY_LOOP = "import time\nwhile True:\n    pass"


def cpu_description() -> dict:
    """The CPU's model name and the vector flags that decide which BLAS kernels run."""
    model, flags = platform.processor() or platform.machine(), []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                wanted = ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx_vnni")
                flags = [f for f in value.split() if f in wanted]
                break
    except OSError:
        pass
    blas = []
    try:
        from threadpoolctl import threadpool_info

        blas = [
            f"{i.get('internal_api')} {i.get('version')} ({i.get('architecture')} kernels)"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        ]
    except ImportError:
        pass
    return {
        "cpu": model,
        "flags": flags,
        "cores": os.cpu_count(),
        "numpy_blas": blas,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }


def run_shared(jobs, args) -> list[dict]:
    """Each job alone, beside a process that keeps one core busy, and as two copies at once.

    The states interleave within each round, so a slow patch of the machine hits them alike;
    each (job, state) keeps its fastest round. "pair" reports the slower of the two copies.
    """
    best: dict = {}
    size = args.train_size
    for round_no in range(args.repeats):
        for model, fw in jobs:
            cmd = child_command(model, fw, args.epochs, 0, size)
            for state in ("alone", "busy", "pair"):
                if state == "alone":
                    r = run_child(model, fw, args.epochs, args.timeout, 0, size)
                elif state == "busy":
                    hog = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
                    try:
                        time.sleep(0.5)  # the busy process is running before training starts
                        r = run_child(model, fw, args.epochs, args.timeout, 0, size)
                    finally:
                        hog.kill()
                        hog.wait()
                else:
                    pair = run_children_at_once([cmd, cmd], args.timeout)
                    errors = [p for p in pair if "error" in p]
                    r = errors[0] if errors else max(pair, key=lambda p: p["sec_per_epoch"])
                    if not errors:
                        r["pair_sec_per_epoch"] = [p["sec_per_epoch"] for p in pair]
                r.update(model=model, framework=fw, state=state, round=round_no)
                if "error" in r:
                    print(f"{model:16s} {fw:10s} {state:5s} error: {r['error']}", flush=True)
                    continue
                print(
                    f"{model:16s} {fw:10s} {state:5s} round {round_no + 1}: "
                    f"{r['sec_per_epoch']:.3f} s/epoch",
                    flush=True,
                )
                key = (model, fw, state)
                if key not in best or r["sec_per_epoch"] < best[key]["sec_per_epoch"]:
                    best[key] = r
    print()
    print(
        f"Shared machine: {args.epochs} epochs on the first {size or 'all'} training images, "
        f"s/epoch (median of epochs 2+), best of {args.repeats} interleaved rounds"
    )
    print("| model | framework | alone | beside a busy core | x alone | two at once | x alone |")
    print("|" + "---|" * 7)
    for model, fw in jobs:
        cells = []
        alone = best.get((model, fw, "alone"))
        for state in ("alone", "busy", "pair"):
            r = best.get((model, fw, state))
            seconds = r["sec_per_epoch"] if r else None
            cells.append(fmt(seconds, ".3f"))
            if state != "alone":
                ratio = seconds / alone["sec_per_epoch"] if r and alone else None
                cells.append(fmt(ratio, ".2f"))
        print(f"| {model} | {fw} | " + " | ".join(cells) + " |")
    return list(best.values())


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


def test_score(r: dict) -> str:
    """The test accuracy, or a forecaster's test MAE (normalized units)."""
    if "test_mae" in r:
        return f"MAE {r['test_mae']:.4f}"
    return f"{r['test_accuracy']:.4f}"


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
    parser.add_argument(
        "--shared",
        action="store_true",
        help="each model alone, beside a busy core, and two copies at once (see run_shared)",
    )
    parser.add_argument(
        "--train-size", type=int, default=0, help="train on the first N images (0: all)"
    )
    parser.add_argument(
        "--peer-isa",
        choices=tuple(PEER_ISA_ENV),
        default="native",
        help="avx2: hold PyTorch and TensorFlow to AVX2 kernels, as NumPy's OpenBLAS is here "
        "when OPENBLAS_CORETYPE=Haswell (native: each picks its own)",
    )
    args = parser.parse_args(argv)
    machine = cpu_description()
    print(
        f"CPU: {machine['cpu']}, {machine['cores']} cores, flags {' '.join(machine['flags'])}; "
        f"NumPy BLAS: {', '.join(machine['numpy_blas']) or '?'}; "
        f"OPENBLAS_CORETYPE={machine['OPENBLAS_CORETYPE']}",
        flush=True,
    )

    jobs = []
    for model in args.models:
        for fw in args.frameworks:
            if fw not in model_defs.MODELS[model]["frameworks"]:
                continue
            if not available(fw):
                print(f"{model:16s} {fw:10s} skipped: not installed", flush=True)
                continue
            jobs.append((model, fw))

    if args.shared:
        results = run_shared(jobs, args)
        write_json(args.output or "shared.json", args, machine, results)
        return 0

    # Rounds interleave the frameworks, so a noisy neighbour slows them alike; each keeps
    # its fastest round (its accuracy and memory come from that round too).
    best: dict = {}
    for round_no in range(args.repeats):
        for model, fw in jobs:
            r = run_child(
                model, fw, args.epochs, args.timeout, args.verbose, args.train_size, args.peer_isa
            )
            r.update(model=model, framework=fw, round=round_no)
            if "error" in r:
                print(f"{model:16s} {fw:10s} error: {r['error']}", flush=True)
                continue
            print(
                f"{model:16s} {fw:10s} round {round_no + 1}: {r['sec_per_epoch']:.3f} s/epoch, "
                f"test {test_score(r)}, peak {r['peak_mb']:.0f} MB",
                flush=True,
            )
            key = (model, fw)
            if key not in best or r["sec_per_epoch"] < best[key]["sec_per_epoch"]:
                best[key] = r
    results = list(best.values())

    print()
    print(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, "
        f"Python {platform.python_version()}; epochs per run: {args.epochs}, "
        f"best of {args.repeats} interleaved rounds; peers' vector width: {args.peer_isa}"
    )
    print(
        "| model | framework | batch | s/epoch | peer/neuroflow | fit wall s/epoch "
        "| test acc (MAE) | peak MB | notes |"
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
                f"{test_score(r)} | {r['peak_mb']:.0f} | {r.get('notes', '')} |"
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
    name = args.output or ("latest.json" if args.verbose == 0 else "latest_verbose1.json")
    write_json(name, args, machine, results, import_seconds=imports)
    return 0


def write_json(name: str, args, machine: dict, results: list, **extra) -> None:
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    record = {
        "time": time.strftime("%Y-%m-%d %H:%M:%S"),
        "epochs": args.epochs,
        "repeats": args.repeats,
        "verbose": args.verbose,
        "train_size": args.train_size,
        "peer_isa": getattr(args, "peer_isa", "native"),
        "machine": machine,  # OPENBLAS_CORETYPE there picks NumPy's kernels (see README)
        "results": results,
        **extra,
    }
    (out / name).write_text(json.dumps(record, indent=2))


if __name__ == "__main__":
    sys.exit(main())
