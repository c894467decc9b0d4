"""Time-series forecasting: the TensorFlow tutorial's ladder of models, on real series.

    python examples/timeseries_forecasting.py                  # sunspots and CO2, a few minutes
    python examples/timeseries_forecasting.py --series co2 --epochs 50 --window 52
    python examples/timeseries_forecasting.py --jena           # adds the Jena climate CSV
    python examples/timeseries_forecasting.py --quick          # tiny run (the tests use it)

The ladder of the TensorFlow tutorial "Time series forecasting" (tensorflow.org/tutorials/
structured_data/time_series, single-step models): a last-value baseline, then Linear, Dense,
Conv1D, LSTM and GRU models, each predicting the next value of a series from a window of the
``--window`` values before it. As in the tutorial: the split is chronological, 70% / 20% / 10%
(train / validation / test); the series is normalized with the training part's mean and
standard deviation only; windows come from ``keras.utils.timeseries_dataset_from_array``;
each model trains with Adam on the mean squared error and stops early on the validation loss.
Two adaptations: the validation and test windows may start in the part before them (their
inputs are past observations; only the targets are counted in the part), since the yearly
sunspot series is short; and the best epoch's weights are kept (``restore_best_weights``).

The series install offline with statsmodels (``pip install statsmodels``):

- ``sunspots``: yearly mean sunspot number, 1700-2008 (309 values; the ~11-year cycle).
- ``co2``: weekly atmospheric CO2 at Mauna Loa, 1958-2001 (2,284 weeks, in ppm). 59 weeks
  are missing; they are filled by linear interpolation between their neighbours. The series
  trends upward (the test years lie above every training value), so its models are fed the
  weekly *changes* (first differences, normalized) and predict the next change; the forecast
  is the last value plus that change, which leaves the last-value baseline a change of zero.
- ``jena`` (``--jena``, needs the internet once): hourly air temperature (degC) from the Jena
  climate record of the Keras and TensorFlow tutorials, 2009-2016, through
  ``keras.utils.get_file``.

Mean absolute errors are reported in the series' own units (sunspot number, ppm, degC), as a
markdown table at the end. Everything is seeded with ``keras.utils.set_random_seed``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import zipfile

import numpy as np

from neuroflow import keras  # the TensorFlow tutorial's code runs with only this import changed

JENA_URL = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/jena_climate_2009_2016.csv.zip"
)

# Per series: the window (steps of history), the LSTM/GRU width, the epochs cap and whether
# the models see first differences (for a trending series).
SERIES = {
    "sunspots": {"window": 24, "epochs": 500, "patience": 20, "batch": 16, "difference": False},
    "co2": {"window": 52, "epochs": 100, "patience": 8, "batch": 32, "difference": True},
    "jena": {"window": 24, "epochs": 10, "patience": 2, "batch": 256, "difference": False},
}
MODELS = ("Linear", "Dense", "Conv1D", "LSTM", "GRU")


# ----------------------------------------------------------------------------- the data
def load_series(name: str) -> tuple[np.ndarray, str]:
    """The series as a float64 vector, and its unit."""
    if name == "sunspots":
        from statsmodels.datasets import sunspots

        return sunspots.load_pandas().data["SUNACTIVITY"].to_numpy(np.float64), "sunspot number"
    if name == "co2":
        from statsmodels.datasets import co2

        weekly = co2.load_pandas().data["co2"]
        print(f"co2: {int(weekly.isna().sum())} missing weeks filled by linear interpolation")
        return weekly.interpolate(method="linear").to_numpy(np.float64), "ppm"
    if name == "jena":
        import pandas as pd

        path = keras.utils.get_file(origin=JENA_URL, fname="jena_climate_2009_2016.csv.zip")
        with zipfile.ZipFile(path) as archive:
            with archive.open("jena_climate_2009_2016.csv") as f:
                frame = pd.read_csv(f)
        # hourly, as the tutorial: every 6th 10-minute record, starting from the 6th
        return frame["T (degC)"].to_numpy(np.float64)[5::6], "degC"
    raise ValueError(f"--series: unknown series {name!r}; expected one of {sorted(SERIES)}")


def split_points(n: int) -> tuple[int, int]:
    """The tutorial's chronological 70/20/10 split: where validation and test begin."""
    return int(n * 0.7), int(n * 0.9)


def windows(values, begin, end, window, batch_size, shuffle=False, seed=None):
    """Windows of ``window`` values predicting the value after them, for targets in
    ``values[begin:end]`` (the first windows reach back before ``begin``)."""
    start = max(begin - window, 0)
    data = values[start:end]
    return keras.utils.timeseries_dataset_from_array(
        data[:, None].astype("float32"),
        targets=data[window:].astype("float32"),
        sequence_length=window,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
    )


# --------------------------------------------------------------------------- the models
def build(name: str, window: int, units: int = 32):
    """The tutorial's single-step models, reading a window of ``window`` steps x 1 feature."""
    layers = keras.layers
    body = {
        "Linear": [layers.Flatten(), layers.Dense(1)],
        "Dense": [
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(64, activation="relu"),
            layers.Dense(1),
        ],
        "Conv1D": [
            layers.Conv1D(32, kernel_size=3, activation="relu"),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ],
        "LSTM": [layers.LSTM(units), layers.Dense(1)],
        "GRU": [layers.GRU(units), layers.Dense(1)],
    }[name]
    return keras.Sequential([keras.Input((window, 1))] + body, name=name.lower())


def run_series(name: str, args) -> list[dict]:
    config = SERIES[name]
    raw, unit = load_series(name)
    if args.quick:
        raw = raw[: min(len(raw), 400)]
    window = args.window or config["window"]
    epochs = args.epochs or config["epochs"]
    # The models read `values`: the series itself, or its changes for a trending series.
    # values[k] is predicted from values[k - window : k]; it forecasts actual[k], the value
    # that follows previous[k]; forecast_base[k] is what the model's output is added to
    # (0 for levels, the previous value for changes).
    previous = np.concatenate([[np.nan], raw[:-1]])
    if config["difference"]:
        values, actual, previous = np.diff(raw), raw[1:], raw[:-1]
        forecast_base = previous
    else:
        values, actual, forecast_base = raw, raw, np.zeros_like(raw)
    n = len(values)
    val_begin, test_begin = split_points(n)
    if val_begin <= window or n - test_begin < 1:
        raise ValueError(
            f"--window: {window} steps leave no training windows in the {n} values of "
            f"{name!r}; expected a window shorter than {val_begin}"
        )
    mean, std = values[:val_begin].mean(), values[:val_begin].std()
    scaled = (values - mean) / std
    parts = {"val": (val_begin, test_begin), "test": (test_begin, n)}
    print(
        f"\n{name}: {len(raw)} values ({unit}); train {val_begin}, val {test_begin - val_begin}, "
        f"test {n - test_begin}; window {window}"
        + ("; models see first differences" if config["difference"] else "")
    )

    def mae(pred_scaled, begin, end):
        """MAE in the series' units of a forecast of values[begin:end] (normalized)."""
        forecast = forecast_base[begin:end] + pred_scaled * std + mean
        return float(np.mean(np.abs(forecast - actual[begin:end])))

    # the last-value baseline (no training): the value just before the target
    rows = [
        {
            "series": name,
            "model": "Last value (baseline)",
            **{
                part: float(np.mean(np.abs(actual[b:e] - previous[b:e])))
                for part, (b, e) in parts.items()
            },
            "epochs": 0,
            "seconds": 0.0,
        }
    ]
    train = windows(scaled, window, val_begin, window, config["batch"], shuffle=True, seed=0)
    val = windows(scaled, val_begin, test_begin, window, 256)
    for model_name in args.models:
        keras.utils.set_random_seed(args.seed)
        model = build(model_name, window, units=8 if args.quick else 32)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=1e-3),
            loss="mse",
            metrics=["mae"],
        )
        stop = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config["patience"], restore_best_weights=True
        )
        start = time.perf_counter()
        history = model.fit(train, validation_data=val, epochs=epochs, callbacks=[stop], verbose=0)
        seconds = time.perf_counter() - start
        row = {"series": name, "model": model_name}
        for part, (b, e) in parts.items():
            pred = model.predict(windows(scaled, b, e, window, 256), verbose=0)[:, 0]
            row[part] = mae(pred, b, e)
        row.update(epochs=len(history.history["loss"]), seconds=seconds)
        print(
            f"  {model_name:8s} val MAE {row['val']:.3f}  test MAE {row['test']:.3f}  "
            f"({row['epochs']} epochs, {seconds:.1f} s)",
            flush=True,
        )
        rows.append(row)
    for row in rows:
        row["unit"] = unit
    return rows


def print_table(rows: list[dict]) -> None:
    print("\n| series | model | val MAE | test MAE | vs baseline (test) | epochs | fit s |")
    print("|---|---|---|---|---|---|---|")
    baseline = {}
    for row in rows:
        if row["epochs"] == 0:
            baseline[row["series"]] = row["test"]
        ratio = row["test"] / baseline[row["series"]]
        print(
            f"| {row['series']} ({row['unit']}) | {row['model']} | {row['val']:.3f} | "
            f"{row['test']:.3f} | {ratio:.2f} | {row['epochs'] or '-'} | {row['seconds']:.1f} |"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", nargs="*", choices=sorted(SERIES), default=None)
    parser.add_argument("--jena", action="store_true", help="add the Jena climate CSV")
    parser.add_argument("--window", type=int, default=0, help="steps of history (0: per series)")
    parser.add_argument("--epochs", type=int, default=0, help="epochs cap (0: per series)")
    parser.add_argument("--models", nargs="*", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for the tests")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = args.epochs or 2
        args.window = args.window or 8
    series = args.series or ["sunspots", "co2"]
    if args.jena and "jena" not in series:
        series.append("jena")
    rows = []
    for name in series:
        try:
            rows += run_series(name, args)
        except OSError as error:  # jena without the internet
            if name != "jena":
                raise
            print(f"jena: skipped, the download failed ({error})", file=sys.stderr)
    print_table(rows)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.exit(main())
