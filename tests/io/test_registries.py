"""One registry per kind: optimizers and losses (de)serialize by class name, as Keras's
``keras.optimizers.serialize``/``deserialize`` do, looking classes up only in their own
module's table; saving uses these and ``layers.deserialize``."""

import pytest

import neuroflow as nf
from neuroflow import losses, optimizers
from tests.conftest import peer

OPTIMIZERS = [
    optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
    optimizers.RMSprop(rho=0.8, momentum=0.5, centered=True),
    optimizers.Adam(learning_rate=0.01, beta_1=0.8, amsgrad=True, global_clipnorm=2.0),
    optimizers.Adagrad(initial_accumulator_value=0.2, epsilon=1e-6),
]
LOSSES = [
    losses.SparseCategoricalCrossentropy(from_logits=True),
    losses.CategoricalCrossentropy(label_smoothing=0.1),
    losses.BinaryCrossentropy(from_logits=True, reduction="sum"),
    losses.MeanSquaredError(),
    losses.MeanAbsoluteError(name="mae_loss"),
]


@pytest.mark.parametrize("obj", OPTIMIZERS + LOSSES, ids=lambda o: type(o).__name__)
def test_round_trip_keeps_class_and_config(obj):
    module = optimizers if isinstance(obj, optimizers.Optimizer) else losses
    spec = module.serialize(obj)
    assert spec["class_name"] == type(obj).__name__
    rebuilt = module.deserialize(spec)
    assert type(rebuilt) is type(obj)
    assert rebuilt.get_config() == obj.get_config()


@pytest.mark.parametrize("spelling", ["Adam", "adam", "ADAM"])
def test_optimizer_names_as_keras_accepts_them(spelling):
    opt = optimizers.deserialize({"class_name": spelling, "config": {"learning_rate": 0.5}})
    assert type(opt) is optimizers.Adam and opt.learning_rate == 0.5


def test_unknown_or_custom_classes_are_refused_never_imported():
    with pytest.raises(ValueError, match=r"Unknown optimizer class: class_name='os\.system'"):
        optimizers.deserialize({"class_name": "os.system", "config": {}})
    with pytest.raises(ValueError, match="Unknown loss class: class_name='FancyLoss'.*MeanSquared"):
        losses.deserialize({"class_name": "FancyLoss", "config": {}})
    with pytest.raises(TypeError, match="Expected a loss config"):
        losses.deserialize("mse")
    with pytest.raises(TypeError, match="'config' to be a dict. Received: 3"):
        optimizers.deserialize({"class_name": "SGD", "config": 3})

    class MyAdam(optimizers.Adam):
        pass

    with pytest.raises(ValueError, match="Cannot serialize the optimizer .*only the library's"):
        optimizers.serialize(MyAdam())
    with pytest.raises(ValueError, match="Cannot serialize the loss"):
        losses.serialize(losses.get(lambda y_true, y_pred: y_pred))


def test_specs_match_keras():
    keras = peer("keras")
    ours = optimizers.serialize(optimizers.Adam(learning_rate=0.01, amsgrad=True))
    theirs = keras.optimizers.serialize(keras.optimizers.Adam(learning_rate=0.01, amsgrad=True))
    assert ours["class_name"] == theirs["class_name"]
    shared = set(ours["config"]) & set(theirs["config"])
    assert {"learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"} <= shared
    for key in shared - {"name"}:
        assert ours["config"][key] == pytest.approx(theirs["config"][key]), key
    # and Keras's own spec (its extra keys at their defaults) builds our optimizer
    adam = optimizers.deserialize(
        {
            "class_name": theirs["class_name"],
            "config": {k: theirs["config"][k] for k in shared},
        }
    )
    assert adam.amsgrad and adam.learning_rate == pytest.approx(0.01)
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    theirs = keras.losses.serialize(loss)
    ours = losses.serialize(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2))
    assert ours["class_name"] == theirs["class_name"]
    for key in ("from_logits", "label_smoothing", "reduction", "name"):
        assert ours["config"][key] == theirs["config"][key], key


def test_io_uses_the_modules_registries():
    from neuroflow.io import native

    # nothing re-lists the classes: the saver asks the registries
    assert not any(hasattr(native, name) for name in ("LAYERS", "OPTIMIZERS", "LOSSES"))
    model = nf.keras.Sequential([nf.keras.Input((3,)), nf.keras.layers.Dense(2)])
    model.compile(OPTIMIZERS[1], LOSSES[3])
    spec = native._compile_spec(model)
    assert spec["optimizer"] == optimizers.serialize(OPTIMIZERS[1])
    assert spec["loss"] == losses.serialize(LOSSES[3])
