"""The seed models, written for each framework, and the child process that times one.

    python benchmarks/models.py seed000 torch 3     # prints 'RESULT {json}'

The definitions follow the seeds: same layers, Keras's initializers (Glorot-uniform
kernels, zero biases), the same optimizer and hyperparameters, the same batch size.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time

import numpy as np

MODELS = {
    "seed000": {  # seed 000: MNIST MLP with dropout, logits + sparse CE, Adam, batch 32
        "dataset": "mnist",
        "batch_size": 32,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras", "sklearn"),
    },
    "seed004": {  # seed 004: Dense 512 + softmax, categorical CE, RMSprop, batch 128
        "dataset": "mnist",
        "batch_size": 128,
        "optimizer": "rmsprop",
        "frameworks": ("neuroflow", "torch", "keras", "sklearn"),
    },
    "seed000_fashion": {  # seed 000's model on Fashion-MNIST
        "dataset": "fashion_mnist",
        "batch_size": 32,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
    # neuroflow.sklearn.MLPClassifier against scikit-learn's, same hyperparameters, batch 32
    "mlp128_sklearn_api": {
        "dataset": "mnist",
        "batch_size": 32,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "sklearn"),
    },
    # The CNNs train on the first 54,000 images, as the seeds' validation_split=0.1 does
    # (no validation pass is timed, for any framework).
    "seed002_cnn": {  # seed 002: conv32-pool-conv64-pool-dropout-dense softmax
        "dataset": "mnist",
        "batch_size": 128,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
    "seed003_cnn": {  # seed 003's model 4: conv64 (2x2, same)-pool-dense softmax
        "dataset": "fashion_mnist",
        "batch_size": 32,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
    # Recurrent models (issue 12). The forecasters read windows of 120 steps x 7 features of
    # a fixed synthetic weather-like series (see forecast_data) and predict the next value of
    # feature 0; Adam, MSE; their score is the test MAE (normalized units).
    "lstm_forecast": {  # LSTM(32) + Dense(1)
        "dataset": "forecast",
        "batch_size": 256,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
    "gru_forecast": {  # GRU(32) + Dense(1); Keras 3's reset_after=True is torch's nn.GRU
        "dataset": "forecast",
        "batch_size": 256,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
    "lstm_mnist_rows": {  # LSTM(64, return_sequences) - LSTM(64) - Dense(10, softmax)
        "dataset": "mnist",  # each image as 28 timesteps of 28 pixels
        "batch_size": 128,
        "optimizer": "adam",
        "frameworks": ("neuroflow", "torch", "keras"),
    },
}

CNN_TRAIN = 54_000
RECURRENT = ("lstm_forecast", "gru_forecast", "lstm_mnist_rows")
FORECAST_WINDOWS, FORECAST_TEST, FORECAST_STEPS, FORECAST_FEATURES = 20_000, 2_000, 120, 7


def cnn_layers(layers, name):
    """The seed's CNN layers, from a Keras-compatible ``layers`` module."""
    if name == "seed002_cnn":
        return [
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    return [
        layers.Conv2D(filters=64, kernel_size=2, padding="same", activation="relu"),
        layers.MaxPooling2D(pool_size=2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ]


def forecast_data():
    """20,000 training and 2,000 test windows (120 steps x 7 features, float32) of a fixed
    synthetic hourly series shaped like the Jena climate record, and the next value of
    feature 0 after each window (normalized units).

    Feature 0 is a "temperature": daily and yearly cycles plus AR(1) weather noise; the
    others are noisy mixtures of it and of their own AR(1) noise (pressure, humidity, ...).
    For scale: repeating the window's last value scores a test MAE of 0.153, the mean 0.718.
    """
    rng = np.random.default_rng(12)
    n = FORECAST_WINDOWS + FORECAST_TEST + FORECAST_STEPS
    t = np.arange(n)
    noise = rng.standard_normal((n, FORECAST_FEATURES))
    ar = np.empty_like(noise)
    ar[0] = noise[0]
    for i in range(1, n):  # AR(1), coefficient 0.95
        ar[i] = 0.95 * ar[i - 1] + 0.3 * noise[i]
    base = np.sin(2 * np.pi * t / 24) + 2 * np.sin(2 * np.pi * t / (24 * 365))
    mix = rng.uniform(-1, 1, FORECAST_FEATURES)
    series = base[:, None] * mix + ar
    series[:, 0] = base + ar[:, 0]
    series = (series - series.mean(0)) / series.std(0)
    steps = np.lib.stride_tricks.sliding_window_view(series, FORECAST_STEPS, axis=0)
    x = np.ascontiguousarray(steps.transpose(0, 2, 1)[:-1], dtype=np.float32)
    y = series[FORECAST_STEPS:, 0].astype(np.float32)
    split = FORECAST_WINDOWS
    return x[:split], y[:split], x[split:], y[split:]


def load(name: str, train_size: int = 0):
    """The dataset scaled to [0, 1]; ``train_size`` > 0 keeps only that many training images."""
    if name == "forecast":
        x_train, y_train, x_test, y_test = forecast_data()
        if train_size:
            x_train, y_train = x_train[:train_size], y_train[:train_size]
        return x_train, y_train, x_test, y_test
    from neuroflow.datasets import fashion_mnist, mnist

    (x_train, y_train), (x_test, y_test) = (mnist if name == "mnist" else fashion_mnist).load_data()
    if train_size:
        x_train, y_train = x_train[:train_size], y_train[:train_size]
    # scaled in float32 directly so that loading does not set the peak-memory figure
    x_train = np.divide(x_train, 255, dtype=np.float32)
    x_test = np.divide(x_test, 255, dtype=np.float32)
    return x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_latency_us(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


VERBOSE = 0  # fit's verbose for neuroflow and Keras (1: the progress bar the seeds show)
LATENCY = True  # time single-sample calls after training (off for the shared-machine runs)


def epoch_timer(callback_base, times: list):
    """A Keras-API callback (neuroflow's or Keras's) appending each epoch's seconds."""

    class EpochTimer(callback_base):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    return EpochTimer()


def run_sklearn_api(estimator_cls, spec, data, epochs, notes):
    """``estimator_cls((128,), batch_size=32)`` on pixels / 255 (float64), for both libraries.

    Per epoch is the marginal cost, ``(fit(max_iter=E + 1) - fit(max_iter=1)) / E``, so the
    one-time work (input validation, neuroflow's float32 copy of X) is left out alike; the
    whole ``fit(max_iter=E + 1)`` is reported as the wall time.
    """
    import warnings

    x_train, y_train, x_test, y_test = data
    x_train = x_train.reshape(-1, 784).astype(np.float64)
    x_test = x_test.reshape(-1, 784).astype(np.float64)

    def timed_fit(max_iter):
        clf = estimator_cls(
            hidden_layer_sizes=(128,),
            batch_size=spec["batch_size"],
            max_iter=max_iter,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            clf.fit(x_train, y_train)
            return clf, time.perf_counter() - start

    _, one = timed_fit(1)
    clf, wall = timed_fit(epochs + 1)
    per_epoch = (wall - one) / epochs
    return {
        "times": [per_epoch] * (epochs + 1),
        "wall": wall,
        "test_accuracy": float(clf.score(x_test, y_test)),
        "notes": f"{notes}; {epochs + 1} epochs",
    }


# ------------------------------------------------------------------- neuroflow and keras
def run_keras_api(keras, model_name, spec, data, epochs, latency_repeats):
    """The seed's Keras code, run by whichever ``keras`` module is given: neuroflow's
    compatibility namespace or Keras itself (the same code, only the import differs)."""
    layers = keras.layers
    keras.utils.set_random_seed(0)
    x_train, y_train, x_test, y_test = data
    if model_name in RECURRENT:
        model = recurrent_keras_model(keras, model_name)
        y_fit, y_eval = y_train, y_test
    elif model_name.endswith("_cnn"):
        x_train, x_test = x_train[:CNN_TRAIN, :, :, None], x_test[:, :, :, None]
        model = keras.Sequential([keras.Input((28, 28, 1))] + cnn_layers(layers, model_name))
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        y_fit = keras.utils.to_categorical(y_train[:CNN_TRAIN])
        y_eval = keras.utils.to_categorical(y_test)
    elif model_name.startswith("seed000"):
        model = keras.Sequential(
            [
                keras.Input((28, 28)),
                layers.Flatten(),
                layers.Dense(128, activation="relu"),
                layers.Dropout(0.2),
                layers.Dense(10),
            ]
        )
        model.compile(
            "adam",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        y_fit, y_eval = y_train, y_test
    else:
        x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
        model = keras.Sequential(
            [
                keras.Input((784,)),
                layers.Dense(512, activation="relu"),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("rmsprop", "categorical_crossentropy", metrics=["accuracy"])
        y_fit = keras.utils.to_categorical(y_train)
        y_eval = keras.utils.to_categorical(y_test)

    times = []
    wall = time.perf_counter()
    model.fit(
        x_train,
        y_fit,
        batch_size=spec["batch_size"],
        epochs=epochs,
        verbose=VERBOSE,
        callbacks=[epoch_timer(keras.callbacks.Callback, times)],
    )
    wall = time.perf_counter() - wall
    score = model.evaluate(x_test, y_eval, verbose=0)[1]
    metric = "test_mae" if model_name.endswith("_forecast") else "test_accuracy"
    result = {"times": times, "wall": wall, metric: score}
    if model_name == "seed004" and LATENCY:
        one = x_test[:1]
        result["predict_one_us"] = median_latency_us(
            lambda: model.predict(one, verbose=0), latency_repeats[0]
        )
        result["call_one_us"] = median_latency_us(lambda: model(one), latency_repeats[1])
    return result


def recurrent_keras_model(keras, model_name):
    """The recurrent benchmark models, compiled, from a Keras-compatible ``keras`` module."""
    layers = keras.layers
    if model_name == "lstm_mnist_rows":
        model = keras.Sequential(
            [
                keras.Input((28, 28)),
                layers.LSTM(64, return_sequences=True),
                layers.LSTM(64),
                layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model
    cell = layers.LSTM if model_name == "lstm_forecast" else layers.GRU
    model = keras.Sequential(
        [keras.Input((FORECAST_STEPS, FORECAST_FEATURES)), cell(32), layers.Dense(1)]
    )
    model.compile("adam", "mse", metrics=["mae"])
    return model


def run_neuroflow(model_name, spec, data, epochs):
    if model_name == "mlp128_sklearn_api":
        from neuroflow.sklearn import MLPClassifier

        return run_sklearn_api(MLPClassifier, spec, data, epochs, "neuroflow.sklearn")
    from neuroflow import keras

    return run_keras_api(keras, model_name, spec, data, epochs, (2000, 2000))


def run_keras(model_name, spec, data, epochs):
    import keras

    result = run_keras_api(keras, model_name, spec, data, epochs, (50, 200))
    result["notes"] = f"keras {keras.__version__} ({keras.backend.backend()})"
    return result


# ------------------------------------------------------------------------------- torch
def torch_epochs(torch, model, opt, loss_fn, x_train, y_train, batch_size, epochs) -> list:
    """Trains a PyTorch model for ``epochs`` shuffled epochs (a manual index loop, no
    DataLoader); returns each epoch's seconds."""
    n, times = len(x_train), []
    for _ in range(epochs):
        t = time.perf_counter()
        model.train()
        perm = torch.randperm(n)
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t)
    return times


def run_torch(model_name, spec, data, epochs):
    import torch
    from torch import nn

    torch.manual_seed(0)
    if model_name in RECURRENT:
        return run_torch_recurrent(torch, model_name, spec, data, epochs)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    if model_name == "seed002_cnn":  # NCHW, logits + cross_entropy (= softmax + CE)
        x_train, x_test = x_train[:CNN_TRAIN, None], x_test[:, None]
        y_train = y_train[:CNN_TRAIN]
        mods = [
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(1600, 10),
        ]
    elif model_name == "seed003_cnn":  # TF's "same" for a 2x2 kernel pads right/bottom only
        x_train, x_test = x_train[:CNN_TRAIN, None], x_test[:, None]
        y_train = y_train[:CNN_TRAIN]
        mods = [
            nn.ZeroPad2d((0, 1, 0, 1)),
            nn.Conv2d(1, 64, 2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 14 * 14, 10),
        ]
    else:
        x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
        hidden = 128 if model_name.startswith("seed000") else 512
        mods = [nn.Linear(784, hidden), nn.ReLU()]
        if model_name.startswith("seed000"):
            mods.append(nn.Dropout(0.2))
        mods.append(nn.Linear(hidden, 10))
    model = nn.Sequential(*mods)
    for m in model:
        if isinstance(m, (nn.Linear, nn.Conv2d)):  # Keras's initializers
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    if spec["optimizer"] == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    else:
        opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    times = torch_epochs(torch, model, opt, loss_fn, x_train, y_train, spec["batch_size"], epochs)
    model.eval()
    with torch.no_grad():
        acc = (model(x_test).argmax(1) == y_test).float().mean().item()
    notes = "manual index loop (no DataLoader)"
    if model_name.endswith("_cnn"):  # Keras's channels-last order; torch's CPU kernels want NCHW
        notes += ", NCHW"
    result = {"times": times, "test_accuracy": acc, "notes": notes}
    if model_name == "seed004" and LATENCY:
        one = x_test[:1]

        def call():
            with torch.no_grad():
                return model(one)

        result["predict_one_us"] = median_latency_us(call, 2000)
        result["call_one_us"] = result["predict_one_us"]
    return result


def run_torch_recurrent(torch, model_name, spec, data, epochs):
    """nn.LSTM / nn.GRU (batch_first) + nn.Linear on the last step, with Keras's
    initializers (Glorot-uniform input kernels, orthogonal recurrent kernels, zero biases
    and, for the LSTM, unit_forget_bias's 1 on the forget gate), Adam as Keras's."""
    from torch import nn

    forecast = model_name.endswith("_forecast")
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    if forecast:
        rnn_cls = nn.LSTM if model_name == "lstm_forecast" else nn.GRU
        rnn = rnn_cls(FORECAST_FEATURES, 32, batch_first=True)
        head = nn.Linear(32, 1)
        y_train, y_test = y_train[:, None], y_test[:, None]
        loss_fn = nn.MSELoss()
    else:  # two stacked LSTM(64) as one nn.LSTM(num_layers=2): the same computation
        rnn = nn.LSTM(28, 64, num_layers=2, batch_first=True)
        head = nn.Linear(64, 10)
        loss_fn = nn.CrossEntropyLoss()  # logits + CE = Keras's softmax + sparse CE
    units = rnn.hidden_size
    for name, p in rnn.named_parameters():
        if name.startswith("weight_ih"):
            nn.init.xavier_uniform_(p)
        elif name.startswith("weight_hh"):
            nn.init.orthogonal_(p)
        else:
            nn.init.zeros_(p)
            if isinstance(rnn, nn.LSTM) and name.startswith("bias_ih"):
                with torch.no_grad():
                    p[units : 2 * units] = 1.0  # gates i, f, g, o
    nn.init.xavier_uniform_(head.weight)
    nn.init.zeros_(head.bias)

    class Recurrent(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.head = rnn, head

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    model = Recurrent()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    times = torch_epochs(torch, model, opt, loss_fn, x_train, y_train, spec["batch_size"], epochs)
    model.eval()
    with torch.no_grad():
        out = model(x_test)
    notes = "manual index loop (no DataLoader)"
    if forecast:
        return {"times": times, "test_mae": (out - y_test).abs().mean().item(), "notes": notes}
    acc = (out.argmax(1) == y_test).float().mean().item()
    return {"times": times, "test_accuracy": acc, "notes": notes + ", nn.LSTM(num_layers=2)"}


# ----------------------------------------------------------------------------- sklearn
def run_sklearn(model_name, spec, data, epochs):
    import warnings

    from sklearn.neural_network import MLPClassifier

    if model_name == "mlp128_sklearn_api":
        return run_sklearn_api(MLPClassifier, spec, data, epochs, "sklearn.neural_network")
    x_train, y_train, x_test, y_test = data
    x_train, x_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
    hidden = 128 if model_name.startswith("seed000") else 512
    clf = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        solver="adam",
        batch_size=spec["batch_size"],
        learning_rate_init=1e-3,
        random_state=0,
    )
    classes = np.arange(10)
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(epochs):
            t = time.perf_counter()
            clf.partial_fit(x_train, y_train, classes=classes)
            times.append(time.perf_counter() - t)
    acc = float((clf.predict(x_test) == y_test).mean())
    notes = (
        "MLPClassifier adam, no dropout"
        if model_name.startswith("seed000")
        else "MLPClassifier adam (no rmsprop in sklearn)"
    )
    return {"times": times, "test_accuracy": acc, "notes": notes}


RUNNERS = {
    "neuroflow": run_neuroflow,
    "torch": run_torch,
    "keras": run_keras,
    "sklearn": run_sklearn,
}


def main() -> None:
    """``models.py MODEL FRAMEWORK EPOCHS [VERBOSE [TRAIN_SIZE]]``; TRAIN_SIZE > 0 trains on
    the first TRAIN_SIZE images and skips the latency figures."""
    model_name, framework, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    global VERBOSE, LATENCY
    VERBOSE = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    train_size = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    LATENCY = train_size == 0
    spec = MODELS[model_name]
    data = load(spec["dataset"], train_size)
    result = RUNNERS[framework](model_name, spec, data, epochs)
    if framework == "torch":  # the vector width its kernels use (see run.py's --peer-isa)
        import torch

        result["notes"] += f", ATen {torch.backends.cpu.get_cpu_capability()}"
    times = result.pop("times")
    steady = times[1:] if len(times) > 1 else times
    wall = result.pop("wall", sum(times))
    result["wall_per_epoch"] = wall / len(times)
    result.update(
        sec_per_epoch=statistics.median(steady),
        epoch_times=times,
        batch_size=spec["batch_size"],
        peak_mb=peak_mb(),
    )
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
