"""Learning-rate schedules: values step by step against Keras 3, configs, and their use by the
optimizers (the rate of step t is schedule(t), t counting the steps already applied)."""

import json
import os

import numpy as np
import pytest

from neuroflow import optimizers, schedules
from neuroflow.tensor import Variable
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CASES = [
    ("ExponentialDecay", dict(initial_learning_rate=0.1, decay_steps=3, decay_rate=0.7)),
    (
        "ExponentialDecay",
        dict(initial_learning_rate=0.05, decay_steps=4, decay_rate=0.5, staircase=True),
    ),
    ("PiecewiseConstantDecay", dict(boundaries=[3, 7, 10], values=[1.0, 0.5, 0.1, 0.01])),
    ("InverseTimeDecay", dict(initial_learning_rate=0.2, decay_steps=2, decay_rate=0.3)),
    (
        "InverseTimeDecay",
        dict(initial_learning_rate=0.2, decay_steps=3, decay_rate=0.5, staircase=True),
    ),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=10)),
    ("CosineDecay", dict(initial_learning_rate=0.1, decay_steps=8, alpha=0.2)),
    (
        "CosineDecay",
        dict(initial_learning_rate=0.0, decay_steps=8, warmup_target=0.1, warmup_steps=5),
    ),
    ("PolynomialDecay", dict(initial_learning_rate=0.1, decay_steps=7, power=2.0)),
    (
        "PolynomialDecay",
        dict(initial_learning_rate=0.1, decay_steps=4, end_learning_rate=0.01, cycle=True),
    ),
]


@pytest.fixture(scope="module")
def keras():
    # the requires_keras marker has already skipped (or failed, in CI) a run without it
    import keras

    return keras


@requires_keras
@pytest.mark.parametrize(("name", "kwargs"), CASES)
def test_schedule_values_match_keras_step_by_step(keras, name, kwargs):
    ours = getattr(schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    steps = range(25)
    got = np.array([ours(step) for step in steps], dtype=np.float32)
    want = np.array([keras.ops.convert_to_numpy(theirs(step)) for step in steps])
    np.testing.assert_allclose(got, want, rtol=2e-7, atol=1e-9)
    assert ours.get_config() == theirs.get_config()


@requires_keras
def test_serialized_schedule_has_keras_shape_both_ways(keras):
    ours = schedules.CosineDecay(0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=3)
    theirs = keras.optimizers.schedules.CosineDecay(
        0.1, 10, alpha=0.1, warmup_target=0.2, warmup_steps=3
    )
    spec = schedules.serialize(ours)
    assert spec == keras.optimizers.schedules.serialize(theirs)
    back = keras.optimizers.schedules.deserialize(json.loads(json.dumps(spec)))
    assert float(back(7)) == pytest.approx(float(ours(7)), rel=1e-6)


@requires_keras
@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "RMSprop"])
def test_optimizer_steps_with_a_schedule_match_keras(keras, optimizer):
    kwargs = dict(initial_learning_rate=0.1, decay_steps=2, decay_rate=0.5)
    ours = getattr(optimizers, optimizer)(schedules.ExponentialDecay(**kwargs))
    theirs = getattr(keras.optimizers, optimizer)(
        keras.optimizers.schedules.ExponentialDecay(**kwargs)
    )
    start = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    w, kw = Variable(start.copy()), keras.Variable(start.copy())
    rng = np.random.default_rng(0)
    for _ in range(6):
        g = rng.normal(size=3).astype(np.float32)
        assert ours.learning_rate == pytest.approx(
            float(keras.ops.convert_to_numpy(theirs.learning_rate)), rel=1e-7
        )
        ours.apply([g], [w])
        theirs.apply_gradients([(keras.ops.convert_to_tensor(g), kw)])
        np.testing.assert_allclose(w.numpy(), keras.ops.convert_to_numpy(kw), rtol=1e-5, atol=1e-6)
    assert ours.iterations == int(keras.ops.convert_to_numpy(theirs.iterations)) == 6


def test_each_step_uses_the_schedule_at_the_steps_already_taken():
    schedule = schedules.PiecewiseConstantDecay([0, 1], [0.5, 0.25, 0.125])
    opt = optimizers.SGD(schedule)
    w = Variable(np.zeros(1, dtype=np.float32))
    taken = []
    for _ in range(4):
        before = w.numpy().copy()
        opt.apply([np.ones(1, dtype=np.float32)], [w])
        taken.append(float((before - w.numpy())[0]))
    assert taken == [0.5, 0.25, 0.125, 0.125]  # schedule(0), schedule(1), schedule(2), ...
    assert opt.learning_rate == 0.125 and opt.iterations == 4


def test_optimizer_config_round_trips_a_schedule():
    opt = optimizers.Adam(schedules.InverseTimeDecay(0.01, 5, 0.5, staircase=True))
    spec = json.loads(json.dumps(optimizers.serialize(opt)))  # JSON-safe, as files need
    assert spec["config"]["learning_rate"]["class_name"] == "InverseTimeDecay"
    back = optimizers.deserialize(spec)
    assert isinstance(back._learning_rate, schedules.InverseTimeDecay)
    assert back._learning_rate.get_config() == opt._learning_rate.get_config()
    back.iterations = opt.iterations = 11
    assert back.learning_rate == opt.learning_rate == pytest.approx(0.01 / 2)


def test_setting_a_rate_over_a_schedule_is_refused_and_a_float_rate_is_settable():
    opt = optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.9))
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.01
    opt.learning_rate = schedules.ExponentialDecay(0.2, 10, 0.9)  # a schedule replaces one
    assert opt.learning_rate == pytest.approx(0.2)
    plain = optimizers.SGD(0.1)
    plain.learning_rate = 0.01
    assert plain.learning_rate == 0.01
    with pytest.raises(ValueError, match="learning_rate=-1"):
        plain.learning_rate = -1


def test_plain_callable_rate_is_called_without_arguments_as_in_keras():
    opt = optimizers.SGD(lambda: 0.25)
    assert opt.learning_rate == 0.25


def test_namespaces_reach_the_schedules():
    from neuroflow.keras.optimizers.schedules import CosineDecay
    from neuroflow.optimizers.schedules import ExponentialDecay

    assert CosineDecay is schedules.CosineDecay
    assert ExponentialDecay is optimizers.schedules.ExponentialDecay


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), "decay_steps=0"),
        (lambda: schedules.CosineDecay(0.1, -3), "decay_steps=-3"),
        (lambda: schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2]), "boundaries=.*length"),
        (lambda: schedules.deserialize({"class_name": "os.system", "config": {}}), "Unknown"),
        (lambda: schedules.serialize(schedules.LearningRateSchedule()), "Cannot serialize"),
    ],
)
def test_bad_schedule_arguments_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_custom_schedule_subclass_drives_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.5 ** (step + 1)

    opt = optimizers.SGD(Halving())
    w = Variable(np.zeros(1, dtype=np.float32))
    opt.apply([np.ones(1, dtype=np.float32)], [w])
    opt.apply([np.ones(1, dtype=np.float32)], [w])
    assert w.numpy()[0] == pytest.approx(-0.75)
    with pytest.raises(NotImplementedError, match="get_config"):
        schedules.LearningRateSchedule().get_config()


def test_a_saved_model_keeps_its_schedule_and_step(tmp_path):
    import neuroflow as nf

    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(1)])
    schedule = schedules.CosineDecay(0.01, 100, warmup_target=0.1, warmup_steps=5)
    model.compile(optimizers.Adam(schedule), "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, epochs=1, verbose=0)
    model.save(tmp_path / "m.neuroflow")
    loaded = nf.keras.models.load_model(tmp_path / "m.neuroflow")
    assert isinstance(loaded.optimizer._learning_rate, schedules.CosineDecay)
    assert loaded.optimizer.iterations == 2
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate == schedule(2)
