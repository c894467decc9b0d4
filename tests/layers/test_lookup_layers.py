"""StringLookup, IntegerLookup, CategoryEncoding, Discretization and TextVectorization against
Keras 3 on the same random vocabularies and corpora (every output mode), by hand, through
configs, models and save/load, and on bad input."""

import os

import numpy as np
import pytest

from neuroflow.keras import layers
from neuroflow.layers.lookup import fingerprint64
from tests.conftest import peer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RNG = np.random.default_rng(23)
WORDS = np.array(["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen", "Ému", "yak"])


def _np(value):
    """A Keras or neuroflow output as NumPy, Keras's bytes decoded."""
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.dtype.kind in "OS":
        flat = [v.decode() if isinstance(v, bytes) else v for v in array.reshape(-1)]
        array = np.array(flat, dtype=object).reshape(array.shape)
    return array


def _same(ours, theirs):
    ours, theirs = _np(ours), _np(theirs)
    assert ours.shape == theirs.shape
    if ours.dtype.kind == "f" or theirs.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    else:
        assert ours.tolist() == theirs.tolist()
    return ours


def _corpus(n=(12, 5), p=None):
    return RNG.choice(WORDS, size=n, p=p)


# ------------------------------------------------------------------ StringLookup
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mask_token": "", "num_oov_indices": 2},
        {"max_tokens": 6, "pad_to_max_tokens": True},
        {"num_oov_indices": 3, "oov_token": "?"},
    ],
)
def test_string_lookup_adapt_matches_keras(mode, options):
    keras = peer("keras")
    data = _corpus()
    data[0, :2] = ["", "cat"]  # a mask token (dropped from the vocabulary) and ties
    ours = layers.StringLookup(output_mode=mode, **options)
    theirs = keras.layers.StringLookup(output_mode=mode, **options)
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.get_vocabulary(False) == theirs.get_vocabulary(False)
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    queries = np.array([["cat", "zzz", "", "Ému", "qq"], ["dog", "dog", "x", "yak", "ant"]])
    if mode == "one_hot":
        queries = queries[:, :1]
    _same(ours(queries), theirs(queries))
    _same(ours(list(queries[1])), theirs(queries[1]))


def test_string_lookup_ties_and_max_tokens_follow_keras_order():
    keras = peer("keras")
    for seed in range(5):
        data = np.random.default_rng(seed).choice(WORDS[:6], size=(30,))
        for max_tokens in (None, 4):
            ours = layers.StringLookup(max_tokens=max_tokens)
            theirs = keras.layers.StringLookup(max_tokens=max_tokens)
            ours.adapt(data)
            theirs.adapt(data)
            assert ours.get_vocabulary() == theirs.get_vocabulary()


@pytest.mark.parametrize("mode", ["int", "multi_hot", "count", "one_hot"])
def test_string_lookup_given_vocabulary_list_file_and_invert(tmp_path, mode):
    keras = peer("keras")
    vocab = ["b", "a", "d", "c"]
    path = tmp_path / "vocab.txt"
    path.write_text("\n".join(vocab) + "\n")
    queries = np.array([["a"], ["z"], ["c"], ["b"]])
    for given in (vocab, str(path)):
        ours = layers.StringLookup(vocabulary=given, output_mode=mode, mask_token="[M]")
        theirs = keras.layers.StringLookup(vocabulary=given, output_mode=mode, mask_token="[M]")
        assert ours.get_vocabulary() == theirs.get_vocabulary()
        _same(ours(queries), theirs(queries))
    inverse = np.array([[0, 1, 2, 5, 9]])
    ours = layers.StringLookup(vocabulary=vocab, invert=True, mask_token="[M]")
    theirs = keras.layers.StringLookup(vocabulary=vocab, invert=True, mask_token="[M]")
    _same(ours(inverse), theirs(inverse))


def test_string_lookup_tf_idf_with_given_weights_and_special_tokens():
    keras = peer("keras")
    for vocab, idf in ((["x", "y", "z"], [0.5, 1.5, 2.5]), (["[UNK]", "x", "y"], [9, 1, 2])):
        ours = layers.StringLookup(vocabulary=vocab, idf_weights=idf, output_mode="tf_idf")
        theirs = keras.layers.StringLookup(vocabulary=vocab, idf_weights=idf, output_mode="tf_idf")
        queries = np.array([["x", "y", "y", "q"], ["z", "z", "x", "x"]])
        if "z" not in vocab:
            queries[queries == "z"] = "y"
        _same(ours(queries), theirs(queries))


def test_farmhash_fingerprint_matches_tensorflow():
    tf = peer("keras") and __import__("tensorflow")
    words = [bytes(RNG.integers(0, 256, size=n, dtype=np.uint8)) for n in range(0, 140, 3)]
    words += [b"", b"a", "Émile".encode(), b"x" * 300]
    buckets = tf.strings.to_hash_bucket_fast(words, 2**63 - 1).numpy()
    assert [fingerprint64(w) % (2**63 - 1) for w in words] == buckets.tolist()


# ----------------------------------------------------------------- IntegerLookup
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count", "tf_idf"])
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"mask_token": 0, "num_oov_indices": 2},
        {"num_oov_indices": 3, "oov_method": "farmhash"},
        {"max_tokens": 5, "pad_to_max_tokens": True, "oov_token": -7},
    ],
)
def test_integer_lookup_adapt_matches_keras(mode, options):
    keras = peer("keras")
    data = RNG.integers(0, 9, size=(10, 4)) * 7
    ours = layers.IntegerLookup(output_mode=mode, **options)
    theirs = keras.layers.IntegerLookup(output_mode=mode, **options)
    ours.adapt(data)
    theirs.adapt(data)
    assert ours.get_vocabulary() == [int(v) for v in theirs.get_vocabulary()]
    queries = np.array([[7, 0, 5, 14, 1000], [3, 21, 21, 8, -4]])
    if mode == "one_hot":
        queries = queries[:, :1]
    _same(ours(queries), theirs(queries))


def test_integer_lookup_invert_and_num_oov_zero():
    keras = peer("keras")
    ours = layers.IntegerLookup(vocabulary=[12, 36, 1138], invert=True)
    theirs = keras.layers.IntegerLookup(vocabulary=[12, 36, 1138], invert=True)
    _same(ours(np.array([[0, 1, 3, 8]])), theirs(np.array([[0, 1, 3, 8]])))
    strict = layers.IntegerLookup(vocabulary=[5, 6], num_oov_indices=0)
    assert _np(strict([[6, 5]])).tolist() == [[1, 0]]
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        strict([[6, 9]])


# -------------------------------------------------------------- CategoryEncoding
@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("shape", [(6,), (5, 1), (4, 3)])
def test_category_encoding_matches_keras(mode, shape):
    keras = peer("keras")
    x = RNG.integers(0, 7, size=shape)  # 6 is at num_tokens: counts for nothing
    if mode == "one_hot" and len(shape) == 2 and shape[1] != 1:
        x = x[:, :1]
    _same(
        layers.CategoryEncoding(6, output_mode=mode)(x),
        keras.layers.CategoryEncoding(6, output_mode=mode)(x),
    )
    if mode == "count":
        w = RNG.random(x.shape).astype(np.float32)
        _same(
            layers.CategoryEncoding(6, output_mode=mode)(x, count_weights=w),
            keras.layers.CategoryEncoding(6, output_mode=mode)(x, count_weights=w),
        )


# ---------------------------------------------------------------- Discretization
@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_matches_keras(mode):
    keras = peer("keras")
    x = RNG.normal(size=(40, 3)).astype(np.float32)
    queries = RNG.normal(size=(5, 3)).astype(np.float32) * 2
    if mode == "one_hot":
        queries = queries[:, :1]
    for kwargs in ({"bin_boundaries": [-1.0, 0.0, 0.5]}, {"num_bins": 5, "epsilon": 0.05}):
        ours = layers.Discretization(output_mode=mode, **kwargs)
        theirs = keras.layers.Discretization(output_mode=mode, **kwargs)
        if "num_bins" in kwargs:
            ours.adapt(x)
            theirs.adapt(x)
            np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
        _same(ours(queries), theirs(queries))
    batches = [RNG.normal(size=(n, 2)) for n in (30, 7, 120)]
    ours, theirs = layers.Discretization(num_bins=4), keras.layers.Discretization(num_bins=4)
    ours.adapt(iter(batches))
    theirs.adapt(iter(batches))
    np.testing.assert_allclose(ours.bin_boundaries, theirs.bin_boundaries, rtol=1e-5)


# ------------------------------------------------------------- TextVectorization
SENTENCES = [
    "The cat sat on the mat.",
    "THE DOG ate my homework!!",
    "École: a café, a naïve résumé?",
    "dog-eat-dog world; cat's whiskers",
    "  spaces\tand\nnewlines\xa0here  ",
    "",
    "the the the cat",
]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"standardize": "lower"},
        {"standardize": "strip_punctuation", "ngrams": 2},
        {"standardize": None, "split": "character", "max_tokens": 12},
        {"ngrams": (1, 3), "output_sequence_length": 6},
        {"output_mode": "multi_hot"},
        {"output_mode": "count", "max_tokens": 8, "pad_to_max_tokens": True},
        {"output_mode": "tf_idf", "ngrams": 2},
        {"output_mode": "tf_idf", "max_tokens": 9, "pad_to_max_tokens": True},
        {"split": None, "output_mode": "one_hot"},
        {"split": None},
        {"split": None, "output_sequence_length": 3},
    ],
)
def test_text_vectorization_matches_keras(options):
    keras = peer("keras")
    ours = layers.TextVectorization(**options)
    theirs = keras.layers.TextVectorization(**options)
    ours.adapt(SENTENCES)
    theirs.adapt(SENTENCES)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    assert ours.vocabulary_size() == theirs.vocabulary_size()
    queries = np.array(["the cat ate THE mat", "unknown words, here!", "", "École café"])
    _same(ours(queries), theirs(queries))
    _same(ours(queries[:, None]), theirs(queries[:, None]))


def test_text_vectorization_given_vocabulary_and_scalar_input():
    keras = peer("keras")
    kwargs = {"vocabulary": ["hello", "world"], "output_sequence_length": 4}
    ours, theirs = layers.TextVectorization(**kwargs), keras.layers.TextVectorization(**kwargs)
    assert ours.get_vocabulary() == theirs.get_vocabulary()
    _same(
        ours(["Hello, world!", "world hello world hello world"]),
        theirs(np.array(["Hello, world!", "world hello world hello world"])),
    )
    plain = layers.TextVectorization(vocabulary=["a", "b"])
    assert _np(plain("a b z")).tolist() == [2, 3, 1]


def test_text_vectorization_callables_by_hand():
    layer = layers.TextVectorization(
        standardize=lambda s: np.char.upper(s), split=lambda s: [x.split("-") for x in s]
    )
    layer.adapt(["a-b-a", "c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "A", "C", "B"]
    assert _np(layer(["b-a", "c-c-x"])).tolist() == [[4, 2, 0], [3, 3, 1]]


# ----------------------------------------------------- adapt sources, configs, models
def test_adapt_from_generators_and_datasets_equals_adapt_from_arrays():
    data = _corpus((16, 3))
    whole = layers.StringLookup()
    whole.adapt(data)
    batched = layers.StringLookup()
    batched.adapt(iter([data[:5], data[5:]]))
    assert batched.get_vocabulary() == whole.get_vocabulary()
    limited = layers.StringLookup()
    limited.adapt(iter([data[:5], data[5:]]), steps=1)
    assert set(limited.get_vocabulary(False)) == set(np.unique(data[:5]).tolist())


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.StringLookup(output_mode="tf_idf", mask_token=""),
        lambda: layers.StringLookup(num_oov_indices=2, mask_token="", max_tokens=7),
        lambda: layers.IntegerLookup(output_mode="count"),
        lambda: layers.TextVectorization(output_mode="tf_idf", ngrams=2),
        lambda: layers.TextVectorization(output_sequence_length=5),
    ],
)
def test_config_round_trip_keeps_the_adapted_vocabulary(make):
    layer = make()
    integer = isinstance(layer, layers.IntegerLookup)
    data = RNG.integers(0, 20, size=(10, 3)) if integer else _corpus((10, 3))
    if isinstance(layer, layers.TextVectorization):
        data = np.array([" ".join(row) for row in data])
    layer.adapt(data)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_vocabulary() == layer.get_vocabulary()
    query = data[:4]
    np.testing.assert_allclose(_np(clone(query)), _np(layer(query)))
    spec = {"class_name": type(layer).__name__, "config": layer.get_config()}
    again = layers.deserialize(spec)
    np.testing.assert_allclose(_np(again(query)), _np(layer(query)))


def test_discretization_config_round_trip_after_adapt():
    layer = layers.Discretization(num_bins=3, output_mode="one_hot")
    layer.adapt(RNG.normal(size=(50,)))
    clone = layers.Discretization.from_config(layer.get_config())
    x = RNG.normal(size=(6, 1))
    np.testing.assert_array_equal(_np(clone(x)), _np(layer(x)))


def test_layers_hold_no_weights():
    layer = layers.StringLookup(vocabulary=["a"])
    layer(["a"])
    assert layer.weights == [] and layer.trainable_weights == [] and layer.count_params() == 0


# -------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.StringLookup(output_mode="bag"), "output_mode"),
        (lambda: layers.StringLookup(num_oov_indices=-1), "num_oov_indices"),
        (lambda: layers.IntegerLookup(num_oov_indices=-2), "num_oov_indices"),
        (lambda: layers.StringLookup(max_tokens=1), "max_tokens"),
        (lambda: layers.StringLookup(pad_to_max_tokens=True), "max_tokens"),
        (lambda: layers.StringLookup(invert=True, output_mode="count"), "output_mode"),
        (lambda: layers.StringLookup(vocabulary=["a", "a"]), "repeated"),
        (lambda: layers.StringLookup(vocabulary=[]), "empty vocabulary"),
        (lambda: layers.StringLookup(vocabulary=["a"], output_mode="tf_idf"), "idf_weights"),
        (lambda: layers.CategoryEncoding(3, output_mode="int"), "output_mode"),
        (lambda: layers.CategoryEncoding(0), "num_tokens"),
        (lambda: layers.TextVectorization(split="comma"), "split"),
        (lambda: layers.TextVectorization(standardize="upper"), "standardize"),
        (
            lambda: layers.TextVectorization(output_mode="count", output_sequence_length=3),
            "output_sequence_length",
        ),
        (lambda: layers.Discretization(), "num_bins"),
        (lambda: layers.Discretization(num_bins=2, bin_boundaries=[0.0]), "bin_boundaries"),
        (lambda: layers.Discretization(num_bins=2, output_mode="tf_idf"), "output_mode"),
    ],
)
def test_bad_arguments_name_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_adapt_on_empty_data_and_calling_without_vocabulary_raise():
    for layer in (layers.StringLookup(), layers.TextVectorization(), layers.IntegerLookup()):
        with pytest.raises(ValueError, match="data"):
            layer.adapt(
                np.array([], dtype=str if not isinstance(layer, layers.IntegerLookup) else np.int64)
            )
        with pytest.raises(ValueError, match="vocabulary"):
            layer(np.array([["a"]]) if not isinstance(layer, layers.IntegerLookup) else [[1]])
    with pytest.raises(ValueError, match="data"):
        layers.Discretization(num_bins=2).adapt(np.array([]))
    with pytest.raises(ValueError, match="bin_boundaries"):
        layers.Discretization(num_bins=2)([[1.0]])
    with pytest.raises(ValueError, match="static vocabulary"):
        layers.StringLookup(vocabulary=["a"]).adapt(["a"])
    with pytest.raises(ValueError, match="count_weights"):
        layers.CategoryEncoding(3)([[1]], count_weights=[[1.0]])
    with pytest.raises(ValueError, match="non-negative"):
        layers.CategoryEncoding(3)([[-1]])
    with pytest.raises(TypeError, match="strings"):
        layers.StringLookup(vocabulary=["a"])(np.array([[1.0]]))


# ------------------------------------------------------ models, datasets, saving
TEXTS = np.array(["the cat sat", "the dog ran", "a cat", "dogs and cats ran", "sat"])
LABELS = np.array([0.0, 1.0, 0.0, 1.0, 0.0], np.float32)


def _text_models():
    import neuroflow as nf

    vectorize = layers.TextVectorization(output_sequence_length=4)
    vectorize.adapt(TEXTS)
    sequential = nf.keras.Sequential([
        nf.keras.Input(shape=(1,), dtype="string"), vectorize, layers.Embedding(12, 3),
        layers.GlobalAveragePooling1D(), layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    inputs = nf.keras.Input(shape=(1,), dtype=nf.string)  # tf.string, as TF tutorials write
    lookup = layers.StringLookup(output_mode="count", mask_token="")
    lookup.adapt(TEXTS)
    functional = nf.keras.Model(inputs, layers.Dense(1)(lookup(inputs)))
    return sequential, functional


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".nf"])
def test_string_models_fit_predict_and_save_round_trip(tmp_path, suffix):
    import neuroflow as nf

    for model in _text_models():
        model.compile("adam", "mse")
        history = model.fit(TEXTS[:, None], LABELS, epochs=2, batch_size=2, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        expected = model.predict(TEXTS[:, None], verbose=0)
        assert expected.shape == (5, 1) and expected.dtype == np.float32
        np.testing.assert_allclose(model(TEXTS[:, None]).numpy(), expected, rtol=1e-5)
        path = str(tmp_path / f"{model.name}{suffix}")
        model.save(path)
        loaded = nf.keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(TEXTS[:, None], verbose=0), expected, rtol=1e-6)


def test_keras_loads_our_text_model_and_predicts_the_same(tmp_path):
    keras = peer("keras")
    sequential, _ = _text_models()
    path = str(tmp_path / "text.keras")
    sequential.save(path)
    theirs = keras.saving.load_model(path)
    np.testing.assert_allclose(
        np.asarray(theirs(__import__("tensorflow").constant(TEXTS[:, None]))),
        sequential.predict(TEXTS[:, None], verbose=0),
        rtol=1e-5,
        atol=1e-6,
    )


def test_string_datasets_adapt_map_and_fit():
    import neuroflow as nf

    batches = nf.data.Dataset.from_tensor_slices(TEXTS).batch(2)
    layer = layers.TextVectorization()
    layer.adapt(batches)
    whole = layers.TextVectorization()
    whole.adapt(TEXTS)
    assert layer.get_vocabulary() == whole.get_vocabulary()
    mapped = [x.numpy() for x in batches.map(layer)]
    assert [m.tolist() for m in mapped] == [
        _np(layer(TEXTS[i : i + 2])).tolist() for i in range(0, 5, 2)
    ]
    assert batches.element_spec.dtype.name == "string"
    lookup = layers.StringLookup()
    lookup.adapt(nf.data.Dataset.from_tensor_slices(TEXTS))  # unbatched: scalars
    assert sorted(lookup.get_vocabulary(False)) == sorted(TEXTS.tolist())
    model = nf.keras.Sequential([
        nf.keras.Input(shape=(), dtype="string"), layer, layers.Embedding(20, 2),
        layers.GlobalAveragePooling1D(), layers.Dense(1),
    ])  # fmt: skip
    model.compile("sgd", "mse")
    train = nf.data.Dataset.from_tensor_slices((TEXTS, LABELS)).batch(2)
    assert np.isfinite(model.fit(train, epochs=1, verbose=0).history["loss"]).all()


@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("StringLookup", {"vocabulary": ["a", "b"], "mask_token": ""}),
        ("IntegerLookup", {"vocabulary": [4, 9], "output_mode": "multi_hot"}),
        ("CategoryEncoding", {"num_tokens": 5, "output_mode": "count"}),
        ("Discretization", {"bin_boundaries": [0.0, 1.0]}),
        ("TextVectorization", {"vocabulary": ["a", "b"], "ngrams": 2}),
    ],
)
def test_configs_have_keras_keys_and_values(name, kwargs):
    keras = peer("keras")
    ours = getattr(layers, name)(**kwargs).get_config()
    theirs = getattr(keras.layers, name)(**kwargs).get_config()
    assert set(ours) == set(theirs)
    for key in set(theirs) - {"name", "dtype"}:
        assert ours[key] == theirs[key], key


def test_keras_saved_text_model_with_a_given_vocabulary_loads(tmp_path):
    keras = peer("keras")
    import neuroflow as nf

    inputs = keras.Input(shape=(1,), dtype="string")
    lookup = keras.layers.StringLookup(vocabulary=["cat", "dog", "sat"], output_mode="count")
    model = keras.Model(inputs, keras.layers.Dense(2)(lookup(inputs)))
    path = str(tmp_path / "keras_text.keras")
    model.save(path)
    x = np.array([["cat"], ["dog"], ["emu"]])
    ours = nf.keras.models.load_model(path)
    np.testing.assert_allclose(
        ours.predict(x, verbose=0),
        np.asarray(model(__import__("tensorflow").constant(x))),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda k: k.layers.TextVectorization(output_mode="tf_idf", max_tokens=6),
        lambda k: k.layers.TextVectorization(output_sequence_length=4),
        lambda k: k.layers.StringLookup(output_mode="tf_idf", max_tokens=5, pad_to_max_tokens=True),
        lambda k: k.layers.StringLookup(mask_token="", num_oov_indices=2),
    ],
)
def test_keras_saved_adapted_layers_load_with_their_asset_vocabulary(tmp_path, make):
    keras = peer("keras")
    tf = __import__("tensorflow")
    import neuroflow as nf

    layer = make(keras)
    texts = ["a b c", "a b", "c d", "the cat", "c c a", ""]
    layer.adapt(texts if isinstance(layer, keras.layers.TextVectorization) else np.array(texts))
    inputs = keras.Input(shape=(1,), dtype="string")
    outputs = layer(inputs)
    if layer.get_config()["output_mode"] != "int":
        outputs = keras.layers.Dense(2)(outputs)
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "adapted.keras")
    model.save(path)
    x = np.array([["a b"], ["zz c"], ["the cat"], [""]])
    ours = nf.keras.models.load_model(path)
    assert ours.layers[1].get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_allclose(
        ours.predict(x, verbose=0), np.asarray(model(tf.constant(x))), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5", ".nf"])
def test_numeric_lookup_layers_in_models_save_and_load(tmp_path, suffix):
    import neuroflow as nf

    x = RNG.integers(0, 6, size=(8, 3)).astype(np.float32)
    integer = layers.IntegerLookup(output_mode="multi_hot")
    integer.adapt(x.astype(np.int64))
    discretize = layers.Discretization(num_bins=3, output_mode="count")
    discretize.adapt(x)
    for layer in (integer, discretize, layers.CategoryEncoding(6, output_mode="count")):
        inputs = nf.keras.Input(shape=(3,))
        model = nf.keras.Model(inputs, layers.Dense(2)(layer(inputs)))
        expected = model.predict(x, verbose=0)
        path = str(tmp_path / f"{layer.name}{suffix}")
        model.save(path)
        loaded = nf.keras.models.load_model(path)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)
        twin = loaded.layers[1]
        assert type(twin) is type(layer) and twin.get_config() == layer.get_config()
