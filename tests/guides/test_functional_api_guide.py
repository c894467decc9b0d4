"""Keras guide "The Functional API" (keras.io/guides/functional_api), section by section.

Written afresh for neuroflow with only the imports changed; MNIST/CIFAR-10 downloads are
replaced by random arrays of the same per-sample shapes (fewer samples), epochs are cut.
Summaries are compared line by line with real Keras 3 building the same model.
"""

import numpy as np

import neuroflow as nf
from neuroflow import keras, ops
from neuroflow.keras import layers
from tests.guides.conftest import build_both, summary_lines

RNG = np.random.default_rng(0)


def mnist_model(keras, layers):
    inputs = keras.Input(shape=(784,))
    dense = layers.Dense(64, activation="relu")
    x = dense(inputs)
    x = layers.Dense(64, activation="relu")(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")


def test_introduction_inputs_and_first_model(real_keras):
    inputs = keras.Input(shape=(784,))
    img_inputs = keras.Input(shape=(32, 32, 3))
    assert inputs.shape == (None, 784)
    assert img_inputs.shape == (None, 32, 32, 3)
    assert inputs.dtype == "float32"

    ours, theirs = build_both(mnist_model, real_keras)
    assert [layer.name for layer in ours.layers] == ["input_layer", "dense", "dense_1", "dense_2"]
    assert ours.count_params() == 55_050
    assert summary_lines(ours) == summary_lines(theirs)


def test_training_evaluation_and_inference():
    model = mnist_model(keras, layers)
    # keras.datasets.mnist.load_data() replaced by random images of the same shape
    x_train = RNG.random((600, 784)).astype("float32")
    y_train = RNG.integers(0, 10, 600).astype("uint8")
    x_test = RNG.random((100, 784)).astype("float32")
    y_test = RNG.integers(0, 10, 100).astype("uint8")
    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=keras.optimizers.RMSprop(),
        metrics=["accuracy"],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(values) == 2 for values in history.history.values())

    test_scores = model.evaluate(x_test, y_test, verbose=0)
    assert len(test_scores) == 2  # [loss, accuracy], as the guide prints them
    logits = model.predict(x_test, verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected_loss = -log_probs[np.arange(100), y_test].mean()
    np.testing.assert_allclose(test_scores[0], expected_loss, rtol=1e-5)
    np.testing.assert_allclose(test_scores[1], (logits.argmax(axis=1) == y_test).mean())


def test_save_and_serialize(tmp_path):
    model = mnist_model(keras, layers)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="rmsprop")
    x = RNG.random((8, 784)).astype("float32")
    expected = model.predict(x, verbose=0)
    path = str(tmp_path / "my_model.keras")  # Keras 3's guide saves to a .keras file
    model.save(path)
    del model
    model = keras.models.load_model(path)
    assert model.name == "mnist_model"
    assert [layer.name for layer in model.layers] == ["input_layer", "dense", "dense_1", "dense_2"]
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)


def encoder_layers(keras, layers, input_name):
    encoder_input = keras.Input(shape=(28, 28, 1), name=input_name)
    x = layers.Conv2D(16, 3, activation="relu")(encoder_input)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Conv2D(16, 3, activation="relu")(x)
    return encoder_input, layers.GlobalMaxPooling2D()(x)


def decoder_layers(keras, layers, start):
    x = layers.Reshape((4, 4, 1))(start)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    x = layers.Conv2DTranspose(32, 3, activation="relu")(x)
    x = layers.UpSampling2D(3)(x)
    x = layers.Conv2DTranspose(16, 3, activation="relu")(x)
    return layers.Conv2DTranspose(1, 3, activation="relu")(x)


def encoder_and_autoencoder(keras, layers):
    encoder_input, encoder_output = encoder_layers(keras, layers, "img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_output = decoder_layers(keras, layers, encoder_output)
    autoencoder = keras.Model(encoder_input, decoder_output, name="autoencoder")
    return encoder, autoencoder


def test_same_graph_of_layers_defines_several_models(real_keras):
    (encoder, autoencoder), (k_encoder, k_autoencoder) = build_both(
        encoder_and_autoencoder, real_keras
    )
    assert encoder.output_shape == (None, 16)
    assert autoencoder.output_shape == (None, 28, 28, 1)  # symmetrical to the input
    assert summary_lines(encoder) == summary_lines(k_encoder)
    assert summary_lines(autoencoder) == summary_lines(k_autoencoder)
    # one graph: the encoder's layers are the autoencoder's first layers, weights and all
    assert autoencoder.layers[: len(encoder.layers)] == encoder.layers
    x = RNG.random((2, 28, 28, 1)).astype("float32")
    codes = encoder.predict(x, verbose=0)
    inner = keras.Model(autoencoder.input, autoencoder.get_layer("global_max_pooling2d").output)
    np.testing.assert_allclose(inner.predict(x, verbose=0), codes, rtol=1e-6)


def chained_autoencoder(keras, layers):
    encoder_input, encoder_output = encoder_layers(keras, layers, "original_img")
    encoder = keras.Model(encoder_input, encoder_output, name="encoder")
    decoder_input = keras.Input(shape=(16,), name="encoded_img")
    decoder = keras.Model(
        decoder_input, decoder_layers(keras, layers, decoder_input), name="decoder"
    )
    autoencoder_input = keras.Input(shape=(28, 28, 1), name="img")
    encoded_img = encoder(autoencoder_input)
    decoded_img = decoder(encoded_img)
    autoencoder = keras.Model(autoencoder_input, decoded_img, name="autoencoder")
    return encoder, decoder, autoencoder


def ensemble(keras, layers):
    def get_model():
        inputs = keras.Input(shape=(128,))
        outputs = layers.Dense(1)(inputs)
        return keras.Model(inputs, outputs)

    models = [get_model(), get_model(), get_model()]
    inputs = keras.Input(shape=(128,))
    outputs = layers.average([model(inputs) for model in models])
    return models, keras.Model(inputs=inputs, outputs=outputs)


def test_all_models_are_callable_like_layers(real_keras):
    ours, theirs = build_both(chained_autoencoder, real_keras)
    for mine, keras_model in zip(ours, theirs):
        assert summary_lines(mine) == summary_lines(keras_model)
    encoder, decoder, autoencoder = ours
    assert autoencoder.layers[1:] == [encoder, decoder]  # nested models, weights reused
    x = RNG.random((2, 28, 28, 1)).astype("float32")
    np.testing.assert_allclose(
        autoencoder.predict(x, verbose=0),
        decoder.predict(encoder.predict(x, verbose=0), verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )

    (models, ensemble_model), (_, k_ensemble) = build_both(ensemble, real_keras)
    assert summary_lines(ensemble_model) == summary_lines(k_ensemble)
    assert ensemble_model.count_params() == 3 * 129
    x = RNG.random((4, 128)).astype("float32")
    mean = np.mean([model.predict(x, verbose=0) for model in models], axis=0)
    np.testing.assert_allclose(ensemble_model.predict(x, verbose=0), mean, rtol=1e-5)


NUM_TAGS, NUM_WORDS, NUM_DEPARTMENTS = 12, 10000, 4


def ticket_model(keras, layers):
    # Embedding + LSTM (the recurrent-networks issue) replaced by Dense layers reading the
    # word ids as features: the section's point, three inputs merged into two named
    # outputs, stays; the sequence length is fixed (10 title words, 100 body words).
    title_input = keras.Input(shape=(10,), name="title")
    body_input = keras.Input(shape=(100,), name="body")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")
    title_features = layers.Dense(128)(title_input)
    body_features = layers.Dense(32)(body_input)
    x = layers.concatenate([title_features, body_features, tags_input])
    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(NUM_DEPARTMENTS, name="department")(x)
    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs=[priority_pred, department_pred],
    )


def ticket_data(n=128):
    title_data = RNG.integers(NUM_WORDS, size=(n, 10)).astype("float32") / NUM_WORDS
    body_data = RNG.integers(NUM_WORDS, size=(n, 100)).astype("float32") / NUM_WORDS
    tags_data = RNG.integers(2, size=(n, NUM_TAGS)).astype("float32")
    priority_targets = RNG.random(size=(n, 1))
    dept_targets = RNG.integers(2, size=(n, NUM_DEPARTMENTS))
    return (title_data, body_data, tags_data), (priority_targets, dept_targets)


def test_models_with_multiple_inputs_and_outputs(real_keras):
    model, k_model = build_both(ticket_model, real_keras)
    assert summary_lines(model) == summary_lines(k_model)  # "Connected to" with 3 inputs
    assert model.output_names == ["priority", "department"]
    (title, body, tags), _ = ticket_data(8)
    by_name = model({"title": title, "body": body, "tags": tags})
    by_order = model([title, body, tags])
    assert [tuple(p.shape) for p in by_name] == [(8, 1), (8, NUM_DEPARTMENTS)]
    for a, b in zip(by_name, by_order):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b))


def test_multiple_outputs_compile_with_losses_by_position_and_by_name():
    model = ticket_model(keras, layers)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.BinaryCrossentropy(from_logits=True),
            keras.losses.CategoricalCrossentropy(from_logits=True),
        ],
        loss_weights=[1.0, 0.2],
    )
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    (title, body, tags), (priority, dept) = ticket_data()
    predictions = model.predict({"title": title, "body": body, "tags": tags}, verbose=0)
    assert [p.shape for p in predictions] == [(128, 1), (128, NUM_DEPARTMENTS)]
    history = model.fit(
        {"title": title, "body": body, "tags": tags},
        {"priority": priority, "department": dept},
        epochs=2,
        batch_size=32,
        verbose=0,
    )
    assert sorted(history.history) == ["department_loss", "loss", "priority_loss"]


def toy_resnet(keras, layers):
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])
    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def test_toy_resnet(real_keras):
    model, k_model = build_both(toy_resnet, real_keras)
    assert summary_lines(model) == summary_lines(k_model)
    assert model.count_params() == 223_242
    # keras.datasets.cifar10.load_data() replaced by 80 random images and labels
    x_train = RNG.integers(0, 256, (80, 32, 32, 3)).astype("uint8").astype("float32") / 255.0
    y_train = keras.utils.to_categorical(RNG.integers(0, 10, (80, 1)), 10)
    assert y_train.shape == (80, 10)
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]


def test_shared_layers():
    # The guide shares an Embedding (the recurrent-networks issue) between two integer
    # sequences; a shared Dense on two fixed-length inputs makes the same point.
    shared_embedding = layers.Dense(128)
    text_input_a = keras.Input(shape=(16,), dtype="int32")
    text_input_b = keras.Input(shape=(16,), dtype="int32")
    assert text_input_a.dtype == "int32"
    encoded_input_a = shared_embedding(text_input_a)
    encoded_input_b = shared_embedding(text_input_b)
    assert encoded_input_a.shape == encoded_input_b.shape == (None, 128)
    assert len(shared_embedding._inbound_nodes) == 2

    model = keras.Model([text_input_a, text_input_b], [encoded_input_a, encoded_input_b])
    assert model.count_params() == 16 * 128 + 128  # one set of weights
    words = RNG.integers(0, 1000, (3, 16))
    out_a, out_b = model([words, words])
    np.testing.assert_allclose(np.asarray(out_a), np.asarray(out_b))


def small_vgg(keras, layers):
    # keras.applications.VGG19 (ImageNet weights, a download) replaced by a small model
    # built the same way: named conv blocks, flatten, dense classifier.
    inputs = keras.Input(shape=(16, 16, 3))
    x = layers.Conv2D(4, 3, activation="relu", padding="same", name="block1_conv1")(inputs)
    x = layers.MaxPooling2D(2, name="block1_pool")(x)
    x = layers.Conv2D(8, 3, activation="relu", padding="same", name="block2_conv1")(x)
    x = layers.MaxPooling2D(2, name="block2_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="vgg19")


def test_extract_and_reuse_nodes_in_the_graph():
    vgg19 = small_vgg(keras, layers)
    features_list = [layer.output for layer in vgg19.layers]
    feat_extraction_model = keras.Model(inputs=vgg19.input, outputs=features_list)
    img = RNG.random((1, 16, 16, 3)).astype("float32")
    extracted_features = feat_extraction_model(img)
    shapes = [tuple(f.shape) for f in extracted_features]
    assert shapes == [(1, 16, 16, 3), (1, 16, 16, 4), (1, 8, 8, 4), (1, 8, 8, 8),
                      (1, 4, 4, 8), (1, 128), (1, 10)]  # fmt: skip
    np.testing.assert_allclose(np.asarray(extracted_features[0]), img)  # the input itself
    x = img
    for layer, feature in zip(vgg19.layers[1:], extracted_features[1:]):
        x = layer(x)
        np.testing.assert_allclose(np.asarray(feature), np.asarray(x), rtol=1e-5, atol=1e-7)


class CustomDense(layers.Layer):
    def __init__(self, units=32):
        super().__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        # keras.ops.matmul (keras.ops: the TensorFlow-basics issue) as neuroflow's op
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {"units": self.units}


def test_extend_the_api_using_custom_layers():
    inputs = keras.Input((4,))
    outputs = CustomDense(10)(inputs)
    model = keras.Model(inputs, outputs)
    assert outputs.shape == (None, 10)
    assert [layer.name for layer in model.layers] == ["input_layer", "custom_dense"]
    assert model.count_params() == 50
    x = RNG.random((3, 4)).astype("float32")
    layer = model.layers[1]
    np.testing.assert_allclose(
        model.predict(x, verbose=0), x @ layer.w.numpy() + layer.b.numpy(), rtol=1e-5
    )
    config = model.get_config()
    assert config["layers"][1]["config"] == {"units": 10}
    # the custom class given by name, as keras.Model.from_config's custom_objects does
    new_model = nf.models.Functional.from_config(
        config, custom_objects={"CustomDense": CustomDense}
    )
    assert isinstance(new_model.layers[1], CustomDense)
    assert new_model.layers[1].units == 10
    assert new_model.count_params() == 50


def test_model_from_config_with_custom_objects():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, CustomDense(10)(inputs))
    config = model.get_config()
    new_model = keras.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert isinstance(new_model.layers[1], CustomDense)


UNITS, TIMESTEPS, INPUT_DIM, BATCH_SIZE = 32, 10, 5, 16


def zeros(shape):
    # keras.ops.zeros and keras.ops.stack (keras.ops: the TensorFlow-basics issue) written
    # with NumPy and neuroflow's reshape/concatenate ops
    return nf.Tensor(np.zeros(shape, "float32"))


def stack(tensors, axis=1):
    return ops.concatenate(
        [ops.reshape(t, t.shape[:axis] + (1,) + t.shape[axis:]) for t in tensors], axis=axis
    )


class CustomRNN(layers.Layer):
    def __init__(self, classifier=None):
        super().__init__()
        self.units = UNITS
        self.projection_1 = layers.Dense(units=UNITS, activation="tanh")
        self.projection_2 = layers.Dense(units=UNITS, activation="tanh")
        self.classifier = classifier if classifier is not None else layers.Dense(1)

    def call(self, inputs):
        outputs = []
        state = zeros((inputs.shape[0], self.units))
        for t in range(inputs.shape[1]):
            x = inputs[:, t, :]
            h = self.projection_1(x)
            y = h + self.projection_2(state)
            state = y
            outputs.append(y)
        features = stack(outputs, axis=1)
        return self.classifier(features)


def test_mix_and_match_api_styles():
    # a functional model inside a subclassed layer
    inputs = keras.Input((None, UNITS))
    x = layers.GlobalAveragePooling1D()(inputs)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    rnn_model = CustomRNN(classifier=model)
    out = rnn_model(zeros((1, TIMESTEPS, INPUT_DIM)))
    assert out.shape == (1, 1)
    assert len(rnn_model.trainable_weights) == 6  # its Dense layers and the model's
    assert model.built and all(w in rnn_model.weights for w in model.weights)

    # a subclassed layer inside a functional model; a static batch size, which the
    # layer's zeros state needs
    inputs = keras.Input(batch_shape=(BATCH_SIZE, TIMESTEPS, INPUT_DIM))
    x = layers.Conv1D(32, 3)(inputs)
    outputs = CustomRNN()(x)
    assert outputs.shape == (BATCH_SIZE, 8, 1)
    model = keras.Model(inputs, outputs)
    assert model.count_params() == 512 + 2 * (32 * 32 + 32) + 33
    data = RNG.random((BATCH_SIZE, TIMESTEPS, INPUT_DIM)).astype("float32")
    assert model.predict(data, verbose=0).shape == (BATCH_SIZE, 8, 1)
    rnn_model = CustomRNN()
    assert rnn_model(zeros((1, 10, 5))).shape == (1, 10, 1)
