"""The functional API and the graph engine: symbolic tensors, Model(inputs, outputs), shared
and nested layers, the call context, fusion inside graphs, errors at graph construction;
summaries and configs compared with Keras 3 where it is installed."""

import os

import numpy as np
import pytest

import neuroflow as nf
from neuroflow import config, keras
from neuroflow.keras import layers
from neuroflow.models.functional import Functional
from tests.conftest import requires_keras

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(3)


def two_inputs_two_outputs():
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    x = layers.Dense(5, name="d1")(a)
    merged = layers.Concatenate(name="cat")([x, b])
    return keras.Model(
        [a, b], [layers.Dense(1, name="o1")(merged), layers.Dense(2, name="o2")(merged)], name="mm"
    )


def test_input_is_symbolic_and_layers_infer_shapes():
    x = keras.Input((28, 28, 1), name="image")
    assert x.shape == (None, 28, 28, 1) and x.name == "image"
    y = layers.Conv2D(8, 3)(x)
    assert y.shape == (None, 26, 26, 8)
    z = layers.Flatten()(layers.MaxPooling2D()(y))
    assert z.shape == (None, 13 * 13 * 8)
    with pytest.raises(TypeError, match="no values"):
        np.asarray(x)


def test_model_from_inputs_and_outputs_computes_what_its_layers_compute():
    inputs = keras.Input((4,))
    hidden = layers.Dense(8, activation="relu")
    out_layer = layers.Dense(2)
    model = keras.Model(inputs, out_layer(hidden(inputs)))
    assert isinstance(model, Functional) and isinstance(model, nf.Model)
    assert model.count_params() == 4 * 8 + 8 + 8 * 2 + 2
    x = RNG.normal(size=(5, 4)).astype("float32")
    expected = out_layer(hidden(x)).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dense"]


def test_list_inputs_and_outputs_and_dict_inputs():
    model = two_inputs_two_outputs()
    xa, xb = np.ones((6, 4), "float32"), np.ones((6, 3), "float32")
    out = model([xa, xb])
    assert isinstance(out, list) and [o.shape for o in out] == [(6, 1), (6, 2)]
    by_name = model({"a": xa, "b": xb})
    np.testing.assert_allclose(by_name[1].numpy(), out[1].numpy())
    assert model.output_names == ["o1", "o2"]
    assert [t.name for t in model.inputs] == ["a", "b"]
    with pytest.raises(ValueError, match="expects 2 inputs"):
        model(xa)
    with pytest.raises(ValueError, match=r"lacks \['b'\]"):
        model({"a": xa})


def test_dict_outputs_keep_their_keys():
    inputs = keras.Input((3,))
    model = keras.Model(
        inputs, {"score": layers.Dense(1)(inputs), "label": layers.Dense(4)(inputs)}
    )
    out = model(np.zeros((2, 3)))
    assert set(out) == {"score", "label"} and out["label"].shape == (2, 4)


def test_a_shared_layer_shares_its_weights_and_counts_once():
    shared = layers.Dense(4, name="shared")
    a, b = keras.Input((3,)), keras.Input((3,))
    model = keras.Model([a, b], layers.Add()([shared(a), shared(b)]))
    assert model.count_params() == 3 * 4 + 4
    assert len(model.trainable_weights) == 2
    x = RNG.normal(size=(2, 3)).astype("float32")
    y = RNG.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(
        model([x, y]).numpy(), shared(x).numpy() + shared(y).numpy(), rtol=1e-6
    )
    assert len(shared._inbound_nodes) == 2
    assert shared.output is shared._inbound_nodes[0].outputs  # Keras 3: the first call's


def test_models_nest_like_layers_and_train_through():
    encoder_in = keras.Input((6,))
    encoder = keras.Model(encoder_in, layers.Dense(3, activation="relu")(encoder_in), name="enc")
    outer_in = keras.Input((6,))
    model = keras.Model(outer_in, layers.Dense(1)(encoder(outer_in)))
    assert model.count_params() == (6 * 3 + 3) + (3 + 1)
    model.compile(nf.optimizers.SGD(0.1), "mse")
    x = RNG.normal(size=(32, 6)).astype("float32")
    before = encoder.get_weights()[0].copy()
    model.fit(x, x.sum(1, keepdims=True), epochs=2, verbose=0)
    assert not np.allclose(before, encoder.get_weights()[0])  # the nested weights trained


def test_feature_extraction_from_a_built_sequential():
    seq = keras.Sequential([keras.Input((8,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    features = keras.Model(seq.inputs, [layer.output for layer in seq.layers])
    x = RNG.normal(size=(3, 8)).astype("float32")
    hidden, out = features(x)
    assert hidden.shape == (3, 4)
    np.testing.assert_allclose(out.numpy(), seq.predict(x, verbose=0), rtol=1e-6)
    assert seq.get_layer(index=0) is features.get_layer(seq.layers[0].name)


def test_graph_errors_are_raised_where_the_graph_is_written():
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    out = layers.Dense(2)(b)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(a, out)
    dense = layers.Dense(3)
    dense(keras.Input((4,)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4"):
        dense(keras.Input((5,)))
    with pytest.raises(ValueError, match=r"\(None, 3\).*\(None, 4\)|\(None, 4\).*\(None, 3\)"):
        layers.Concatenate(axis=0)([keras.Input((3,)), keras.Input((4,))])
    with pytest.raises(TypeError, match="symbolic tensors"):
        keras.Model(a, np.zeros(3))


def test_fused_conv_pool_applies_inside_a_functional_graph(monkeypatch):
    inputs = keras.Input((10, 10, 2))
    conv = layers.Conv2D(4, 3, activation="relu")
    pool = layers.MaxPooling2D()
    model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(pool(conv(inputs)))))
    fused_calls = []
    original = type(pool).call_fused

    def spy(self, previous, x, training=False):
        fused_calls.append(previous)
        return original(self, previous, x, training=training)

    monkeypatch.setattr(type(pool), "call_fused", spy)
    x = RNG.normal(size=(3, 10, 10, 2)).astype("float32")
    fused = model.predict(x, verbose=0)
    assert fused_calls == [conv]
    config.set_fusion(False)
    try:
        plain = model.predict(x, verbose=0)
    finally:
        config.set_fusion(True)
    assert fused_calls == [conv]  # not fused the second time
    np.testing.assert_allclose(fused, plain, rtol=1e-5, atol=1e-6)


def test_no_fusion_when_the_conv_output_is_read_twice():
    inputs = keras.Input((8, 8, 1))
    conv = layers.Conv2D(2, 3)(inputs)
    pooled = layers.Flatten()(layers.MaxPooling2D()(conv))
    model = keras.Model(inputs, [pooled, layers.Flatten()(conv)])
    assert all(step.fused is None for step in model._graph.fused_steps)


class NoTrainingArg(layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


class Noisy(nf.Model):
    """A subclassed model whose Dropout gets no explicit `training`: it must inherit it."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(4, kernel_initializer="ones")
        self.drop = layers.Dropout(0.5)

    def call(self, inputs, training=False):
        return self.drop(self.dense(inputs))


def test_call_signatures_and_the_training_context():
    assert NoTrainingArg()(np.ones((1, 2)), training=True).numpy().tolist() == [[2.0, 2.0]]
    model = Noisy()
    x = np.ones((64, 3), "float32")
    inference = model(x).numpy()
    training = model(x, training=True).numpy()
    assert np.all(inference == 3.0)
    assert (training == 0).mean() > 0.2  # dropout ran because the outer call trains


class Penalized(layers.Layer):
    def call(self, inputs):
        self.add_loss(0.5 * nf.ops.mean(inputs * inputs))
        return inputs


def test_add_loss_counts_the_latest_call_only():
    layer = Penalized()
    layer(np.ones((2, 2)))
    layer(np.full((2, 2), 2.0))
    assert [float(loss.data) for loss in layer.losses] == [2.0]
    inputs = keras.Input((2,))
    model = keras.Model(inputs, layers.Dense(1, use_bias=False)(Penalized()(inputs)))
    model.compile("sgd", "mse")
    x = np.full((4, 2), 3.0, "float32")
    y = model.predict(x, verbose=0)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(4.5)  # mse 0 + 0.5 * 9


class Blocks(layers.Layer):
    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(3), layers.Dense(2)]

    def call(self, inputs):
        for block in self.blocks:
            inputs = block(inputs)
        return inputs


def test_layers_kept_in_a_list_are_tracked():
    layer = Blocks()
    layer(np.ones((1, 4)))
    assert len(layer.weights) == 4 and layer.count_params() == (4 * 3 + 3) + (3 * 2 + 2)


def test_sequential_build_then_summary_and_deferred_build():
    model = keras.Sequential([layers.Dense(4), layers.Dense(1)])
    assert not model.built
    model.build((None, 6))
    assert model.built and model.count_params() == (6 * 4 + 4) + 5
    lines = []
    model.summary(print_fn=lines.append)
    assert "(None, 4)" in lines[0]
    deferred = keras.Sequential([layers.Dense(2)])
    deferred(np.ones((3, 5)))
    assert deferred.inputs[0].shape == (None, 5)


def test_sequential_add_and_pop_rebuild_the_graph():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    model.add(layers.Dense(2))
    assert model.output_shape == (None, 2) and model.outputs[0].shape == (None, 2)
    model.pop()
    assert model.predict(np.ones((1, 3)), verbose=0).shape == (1, 4)


def test_config_round_trip_rebuilds_an_equal_graph():
    model = two_inputs_two_outputs()
    clone = keras.Model.from_config(model.get_config())
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    xa = RNG.normal(size=(2, 4)).astype("float32")
    xb = RNG.normal(size=(2, 3)).astype("float32")
    for got, want in zip(clone([xa, xb]), model([xa, xb])):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    again = nf.models.model_from_json(model.to_json())
    assert again.count_params() == model.count_params()


@requires_keras
def test_summary_config_and_layer_order_match_keras():
    import keras as real

    def build(k):
        a = k.Input((4,), name="a")
        b = k.Input((3,), name="b")
        x = k.layers.Dense(5, name="d1")(a)
        merged = k.layers.Concatenate(name="cat")([x, b])
        shared = k.layers.Dense(2, name="shared")
        outs = [shared(merged), k.layers.Dense(1, name="o2")(merged)]
        return k.Model([a, b], outs, name="mm")

    ours, theirs = build(keras), build(real)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    got, want = [], []
    ours.summary(print_fn=got.append, line_length=76)
    theirs.summary(print_fn=lambda line, **kw: want.append(line), line_length=76)
    assert "\n".join(got).splitlines() == "\n".join(want).splitlines()
    ours_cfg, theirs_cfg = ours.get_config(), theirs.get_config()
    assert ours_cfg["input_layers"] == [list(x) for x in theirs_cfg["input_layers"]]
    assert ours_cfg["output_layers"] == [list(x) for x in theirs_cfg["output_layers"]]
    for mine, keras_layer in zip(ours_cfg["layers"], theirs_cfg["layers"]):
        assert mine["name"] == keras_layer["name"]
        assert len(mine["inbound_nodes"]) == len(keras_layer["inbound_nodes"])


def test_clone_model_rebuilds_fresh_layers_or_what_clone_function_returns():
    model = two_inputs_two_outputs()
    copy = keras.models.clone_model(model)
    assert [layer.name for layer in copy.layers] == [layer.name for layer in model.layers]
    assert not any(a is b for a, b in zip(copy.layers, model.layers))
    assert copy.count_params() == model.count_params()
    assert not np.allclose(copy.get_layer("d1").get_weights()[0],
                           model.get_layer("d1").get_weights()[0])  # fmt: skip
    shared = keras.models.clone_model(model, clone_function=lambda layer: layer)
    same = [a is b for a, b in zip(shared.layers, model.layers)]
    assert same == [False, True, False, True, True, True]  # new inputs, the layers reused
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    assert keras.models.clone_model(seq).output_shape == (None, 2)


class _Counting(layers.Layer):
    """A layer that overrides ``__call__`` itself: the graph must still go through it."""

    calls = 0

    def __call__(self, *args, **kwargs):
        type(self).calls += 1
        return super().__call__(*args, **kwargs)


class _DropsInside(layers.Layer):
    """A layer whose ``call`` takes no ``training``: the Dropout inside inherits the flag."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.drop = layers.Dropout(0.5)

    def call(self, inputs):
        return self.drop(inputs)


def test_graph_runs_layers_as_their_calls_would():
    x = np.ones((64, 8), np.float32)
    model = keras.Sequential([keras.Input((8,)), _Counting(), _DropsInside(), layers.Dense(3)])
    before = _Counting.calls
    model(x)
    model.predict(x, batch_size=64, verbose=0)  # one batch
    assert _Counting.calls == before + 2  # an overridden __call__ runs on every model call
    inner = keras.Model(model.inputs, model.layers[1].output)
    assert np.array_equal(inner(x, training=False).numpy(), x)  # inference: no dropout
    dropped = inner(x, training=True).numpy()
    assert set(np.unique(dropped)) == {0.0, 2.0}  # training reaches the Dropout inside

    class Subclass(Functional):
        def call(self, inputs, training=None, mask=None):
            return super().call(inputs, training=training, mask=mask)

    sub = Subclass(model.inputs, model.layers[1].output)
    # `call` with training=None, as every layer call would read it: inference
    assert np.array_equal(sub.call(nf.constant(x), training=None).numpy(), x)
