"""examples/tune_mnist.py --quick runs its three searches and prints its comparison table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tune_mnist.py"


def run_example(tmp_path, *extra: str) -> str:
    env = {**os.environ, "NEUROFLOW_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick", "--directory", str(tmp_path), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def table_rows(out: str) -> dict[str, list[str]]:
    """The table's rows, by their first word (``seed`` or the tuner's name)."""
    rows = [line for line in out.splitlines() if " best (" in line or line.startswith("seed ")]
    return {row.split()[0]: row.split() for row in rows}


def check_accuracies(rows: dict[str, list[str]]) -> None:
    for row in rows.values():  # val and test accuracies are real numbers above chance
        val_acc, test_acc = float(row[-4]), float(row[-3])
        assert 0.2 < val_acc <= 1.0 and 0.2 < test_acc <= 1.0


def evolution_trials(project: Path) -> list[dict]:
    trials = [json.loads(p.read_text()) for p in sorted(project.glob("trial_*/trial.json"))]
    assert trials and all(t["status"] == "COMPLETED" for t in trials)
    return trials


@pytest.mark.slow
def test_tune_mnist_quick(tmp_path):
    out = run_example(tmp_path)
    rows = table_rows(out)
    assert set(rows) == {"seed", "RandomSearch", "Hyperband", "EvolutionarySearch"}
    assert "seed 000 (128, 0.2, 1e-3)" in out
    for project in ("random", "hyperband", "evolution"):
        assert (tmp_path / project / "oracle.json").is_file()
    check_accuracies(rows)
    # quick mode: a population of 3 over 2 generations, one elite => 3 + 2 trials of 1 epoch
    assert "5 trials (3x2 gen.)" in " ".join(rows["EvolutionarySearch"])
    assert rows["EvolutionarySearch"][-2] == "5"  # epochs: the elite is not trained again
    trials = evolution_trials(tmp_path / "evolution")
    assert len(trials) == 5
    # the same build(hp) space as the other tuners
    assert all(
        set(t["hyperparameters"]["values"]) == {"units", "dropout", "learning_rate"} for t in trials
    )
    state = json.loads((tmp_path / "evolution" / "oracle.json").read_text())["state"]
    assert [len(members) for members in state["generations"]] == [3, 3]
    line = next(x for x in out.splitlines() if x.startswith("EvolutionarySearch: best val"))
    scores = [float(s) for s in line.split(":")[-1].split(",")]
    assert len(scores) == 2 and scores[1] >= scores[0]  # the elite keeps the best score
    verdicts = [x for x in out.splitlines() if "seed 000's model on the validation set" in x]
    assert len(verdicts) == 3


@pytest.mark.slow
def test_tune_mnist_quick_evolution_only_mlp_space(tmp_path):
    out = run_example(tmp_path, "--tuners", "evolution", "--evolution-space", "mlp")
    rows = table_rows(out)
    assert set(rows) == {"seed", "EvolutionarySearch"}  # --tuners picks which run
    assert not (tmp_path / "random").exists() and not (tmp_path / "hyperband").exists()
    check_accuracies(rows)
    trials = evolution_trials(tmp_path / "evolution")
    for trial in trials:  # the MLP shape space: layers, their widths, the activation
        values = trial["hyperparameters"]["values"]
        assert {"num_layers", "activation", "units_0", "dropout", "learning_rate"} <= set(values)
        assert all(f"units_{i}" in values for i in range(values["num_layers"]))
    best = " ".join(rows["EvolutionarySearch"])
    assert any(a in best for a in ("relu", "tanh", "sigmoid", "elu"))


def test_tune_mnist_rejects_an_unknown_tuner():
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--tuners", "grid"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "invalid choice: 'grid'" in done.stderr and "evolution" in done.stderr
