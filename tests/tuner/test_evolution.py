"""EvolutionarySearch: the oracle's generations, selection and variation on a synthetic
objective (no training), reproducibility and resume, the tuner on a small real problem, and
bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import neuroflow.tuner as kt
from neuroflow.tuner.evolution import EvolutionarySearchOracle, MLPHyperModel


def space() -> kt.HyperParameters:
    hp = kt.HyperParameters()
    hp.Int("units", 8, 512, step=8)
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Choice("activation", ["relu", "tanh", "sigmoid"])
    hp.Boolean("batchnorm")
    hp.Int("layers", 1, 3)
    with hp.conditional_scope("layers", [2, 3]):
        hp.Float("dropout", 0.0, 0.5, step=0.1)
    return hp


def loss_of(values: dict) -> float:
    """A made-up loss whose minimum is units=200, lr=1e-2, tanh, batchnorm, 2 layers."""
    loss = abs(values["units"] - 200) / 100 + abs(np.log10(values["lr"]) + 2)
    loss += 0.0 if values["activation"] == "tanh" else 1.0
    loss += 0.0 if values["batchnorm"] else 0.5
    loss += abs(values["layers"] - 2) + values.get("dropout", 0.0)
    return float(loss)


def make_oracle(**kwargs) -> EvolutionarySearchOracle:
    kwargs = {"objective": "loss", "hyperparameters": space(), "seed": 3, **kwargs}
    oracle = EvolutionarySearchOracle(**kwargs)
    oracle.verbose = 0
    return oracle


def run(oracle, stop_after=None, score=loss_of) -> list[dict]:
    """Runs trials one at a time until the oracle stops (or ``stop_after`` trials ran)."""
    seen = []
    while stop_after is None or len(seen) < stop_after:
        trial = oracle.create_trial("tuner0")
        if trial.status != "RUNNING":
            assert trial.status == "STOPPED"
            break
        values = dict(trial.hyperparameters.values)
        seen.append(values)
        oracle.update_trial(trial.trial_id, {"loss": score(values)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    return seen


def test_population_and_generation_counts():
    oracle = make_oracle(population_size=6, generations=4, elitism=2)
    trials = run(oracle)
    assert len(trials) == oracle.max_trials == 6 + 3 * (6 - 2)
    assert len(oracle.generations) == 4
    assert all(len(members) == 6 for members in oracle.generations)
    for g in range(1, 4):
        before, after = oracle.generations[g - 1], oracle.generations[g]
        # the two best of a generation open the next; the rest are new trials
        assert after[:2] == oracle._ranked(before)[:2]
        assert not set(after[2:]) & {t for members in oracle.generations[:g] for t in members}
    no_elites = make_oracle(population_size=4, generations=3, elitism=0)
    assert len(run(no_elites)) == 12
    capped = make_oracle(population_size=4, generations=10, max_trials=7)
    assert len(run(capped)) == 7


def test_the_best_improves_or_holds_over_generations():
    oracle = make_oracle(population_size=8, generations=8, elitism=1)
    run(oracle)
    bests = oracle.best_scores()
    assert all(b <= a for a, b in zip(bests, bests[1:]))
    assert bests[-1] < bests[0] - 1.0  # evolution did better than the random generation 0
    # and better than random search with the same budget and seed
    random_oracle = kt.oracles.RandomSearchOracle(
        objective="loss", hyperparameters=space(), max_trials=len(oracle.trials), seed=3
    )
    random_oracle.verbose = 0
    random_best = min(loss_of(v) for v in run(random_oracle))
    assert bests[-1] < random_best


def test_children_are_valid_and_never_repeat():
    oracle = make_oracle(population_size=5, generations=6, mutation_rate=0.0, crossover_rate=0.0)
    trials = run(oracle)  # without mutation children would be copies: repeats get mutated
    keys = [tuple(sorted(v.items())) for v in trials]
    assert len(set(keys)) == len(keys) == len(oracle.trials)
    for v in trials:
        assert v["units"] % 8 == 0 and 8 <= v["units"] <= 512
        assert 1e-4 <= v["lr"] <= 1e-1
        assert v["activation"] in ("relu", "tanh", "sigmoid")
        assert ("dropout" in v) == (v["layers"] >= 2)
        if "dropout" in v:
            assert round(v["dropout"] * 10, 6) == round(v["dropout"] * 10)


def test_fixed_seed_gives_the_same_search():
    a = run(make_oracle(population_size=4, generations=4))
    b = run(make_oracle(population_size=4, generations=4))
    c = run(make_oracle(population_size=4, generations=4, seed=4))
    assert a == b
    assert a != c


def test_a_generation_waits_for_its_parents():
    oracle = make_oracle(population_size=3, generations=2)
    running = [oracle.create_trial(f"worker{i}") for i in range(3)]
    assert [t.status for t in running] == ["RUNNING"] * 3
    assert oracle.create_trial("worker3").status == "IDLE"
    for trial in running:
        oracle.update_trial(trial.trial_id, {"loss": loss_of(trial.hyperparameters.values)})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    assert oracle.create_trial("worker3").status == "RUNNING"


def test_failed_members_are_not_parents():
    oracle = make_oracle(
        population_size=3, generations=3, elitism=1, max_consecutive_failed_trials=0
    )

    def score(values):
        return float("nan") if values["activation"] == "relu" else loss_of(values)

    run(oracle, score=score)
    failed = {t for t, trial in oracle.trials.items() if trial.status != "COMPLETED"}
    for members in oracle.generations[1:]:
        assert members[0] not in failed  # the elite is a scored member


def test_resume_from_the_project_directory_continues_the_same_search(tmp_path):
    straight = run(make_oracle(population_size=4, generations=3))
    first = make_oracle(population_size=4, generations=3)
    first._set_project_dir(tmp_path)
    part = run(first, stop_after=6)  # stopped inside generation 1
    second = make_oracle(population_size=4, generations=3)
    second._set_project_dir(tmp_path)
    second.reload()
    assert second.generations == first.generations
    assert part + run(second) == straight


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"population_size": 1}, "population_size"),
        ({"population_size": 4.0}, "population_size"),
        ({"generations": 0}, "generations"),
        ({"mutation_rate": 1.5}, "mutation_rate"),
        ({"crossover_rate": -0.1}, "crossover_rate"),
        ({"mutation_rate": True}, "mutation_rate"),
        ({"elitism": 4, "population_size": 4}, "elitism"),
        ({"elitism": -1}, "elitism"),
        ({"tournament_size": 0}, "tournament_size"),
        ({"max_trials": 0}, "max_trials"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_oracle(**kwargs)


def test_tuner_needs_a_hypermodel_or_the_default_space_shape(tmp_path):
    with pytest.raises(ValueError, match="input_shape"):
        kt.EvolutionarySearch(directory=tmp_path)
    with pytest.raises(ValueError, match="input_shape"):
        kt.EvolutionarySearch(input_shape=(0, 3), num_classes=2, directory=tmp_path)
    with pytest.raises(ValueError, match="num_classes"):
        kt.EvolutionarySearch(input_shape=(4,), num_classes=1, directory=tmp_path)
    with pytest.raises(ValueError, match="population_size"):
        kt.EvolutionarySearch(input_shape=(4,), population_size=0, directory=tmp_path)


def test_default_space_is_the_mlp_shape():
    hp = kt.HyperParameters()
    hp.values.update(num_layers=3, units_0=64, units_1=32, units_2=16, activation="tanh")
    hp.values.update(dropout=0.2, learning_rate=0.005)
    model = MLPHyperModel(input_shape=(8, 8), num_classes=3).build(hp)
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"]
    assert [d.units for d in dense] == [64, 32, 16, 3]
    assert sum(type(layer).__name__ == "Dropout" for layer in model.layers) == 3
    assert float(model.optimizer.learning_rate) == pytest.approx(0.005)
    regression = MLPHyperModel(input_shape=(5,)).build(kt.HyperParameters())
    assert regression.layers[-1].units == 1


def blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centres = np.array([[2.0, 0.0], [-2.0, 1.0], [0.0, -2.0]])
    x = centres[y] + rng.normal(scale=0.9, size=(n, 2))
    return x.astype("float32"), y


def search(tmp_path, name, **kwargs):
    x, y = blobs()
    tuner = kt.EvolutionarySearch(
        input_shape=(2,),
        num_classes=3,
        population_size=3,
        generations=2,
        seed=7,
        directory=tmp_path,
        project_name=name,
        **kwargs,
    )
    tuner.search(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    return tuner


def test_tuner_trains_each_member_and_is_reproducible(tmp_path):
    a, b = search(tmp_path, "a"), search(tmp_path, "b")
    trials_a = [(t.hyperparameters.values, t.score) for t in a.oracle.trials.values()]
    trials_b = [(t.hyperparameters.values, t.score) for t in b.oracle.trials.values()]
    assert len(trials_a) == 3 + 2
    assert trials_a == trials_b
    assert all(0.0 <= score <= 1.0 for _, score in trials_a)
    bests = a.oracle.best_scores()
    assert bests[1] >= bests[0]
    best = a.get_best_models()[0]
    x, y = blobs(seed=1)
    accuracy = np.mean(np.argmax(best.predict(x, verbose=0), axis=1) == y)
    assert accuracy > 0.5  # three well-separated blobs: better than chance (1/3)
