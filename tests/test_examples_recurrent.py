"""The recurrent examples run (at --quick sizes) and print what they promise.

examples/timeseries_forecasting.py needs statsmodels (its series ship inside it; the `test`
extra installs it): without it the forecasting test fails in CI and skips elsewhere.
"""

import importlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def table(text, columns):
    """The rows of the markdown table at the end of ``text`` with ``columns`` cells."""
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == columns and not cells[0].startswith("-"):
            rows.append(cells)
    return rows[1:]  # without the header


@pytest.fixture(scope="module")
def statsmodels():
    if os.environ.get("CI") == "true":
        return importlib.import_module("statsmodels")
    return pytest.importorskip("statsmodels")


def test_timeseries_forecasting_quick(statsmodels, capsys):
    example = load_example("timeseries_forecasting")
    assert example.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = table(out, 7)
    models = ["Last value (baseline)", *example.MODELS]
    assert [(r[0].split()[0], r[1]) for r in rows] == [
        (series, model) for series in ("sunspots", "co2") for model in models
    ]
    for row in rows:
        val_mae, test_mae = float(row[2]), float(row[3])
        assert np.isfinite(val_mae) and val_mae > 0 and np.isfinite(test_mae) and test_mae > 0
    assert "59 missing weeks filled by linear interpolation" in out

    # the baseline's figures, computed here from the split the docstring states
    sunspots = statsmodels.datasets.sunspots.load_pandas().data["SUNACTIVITY"].to_numpy()
    n = len(sunspots)
    val_begin, test_begin = int(n * 0.7), int(n * 0.9)
    errors = np.abs(np.diff(sunspots))  # errors[k - 1]: |x[k] - x[k - 1]|
    expected = [errors[val_begin - 1 : test_begin - 1].mean(), errors[test_begin - 1 :].mean()]
    baseline = next(r for r in rows if r[0].startswith("sunspots") and r[1].startswith("Last"))
    np.testing.assert_allclose([float(baseline[2]), float(baseline[3])], expected, atol=6e-4)


def test_timeseries_forecasting_bad_window(statsmodels):
    example = load_example("timeseries_forecasting")
    with pytest.raises(ValueError, match=r"--window: 500 steps"):
        example.main(["--quick", "--series", "sunspots", "--window", "500", "--models", "Linear"])


def test_rnn_vs_dense_quick(capsys):
    example = load_example("rnn_vs_dense")
    assert example.main(["--quick"]) == 0
    rows = table(capsys.readouterr().out, 3)
    accuracy = {r[0]: float(r[2]) for r in rows}
    assert list(accuracy) == ["Dense (FNN)", "SimpleRNN", "LSTM"]
    # the point of the example: without memory, chance; with a recurrent state, the echo
    assert accuracy["Dense (FNN)"] < 0.6
    assert accuracy["SimpleRNN"] > 0.9


def test_rnn_vs_dense_bad_delay(capsys):
    example = load_example("rnn_vs_dense")
    with pytest.raises(SystemExit):
        example.main(["--quick", "--delay", "20"])
    assert "--delay: expected 0 < delay < timesteps (20), got 20" in capsys.readouterr().err


def test_timeseries_forecasting_jena_csv(statsmodels, tmp_path, monkeypatch, capsys):
    """The --jena path on a small stand-in for the tutorial's zip (no download)."""
    import zipfile

    minutes = np.arange(6 * 500)  # 10-minute records; the example keeps every 6th
    temperature = 10 * np.sin(2 * np.pi * minutes / (6 * 24)) + 5
    lines = ['"Date Time","p (mbar)","T (degC)"'] + [
        f"01.01.2009 00:{i % 60:02d}:00,996.5,{t:.2f}" for i, t in enumerate(temperature)
    ]
    archive = tmp_path / "jena_climate_2009_2016.csv.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("jena_climate_2009_2016.csv", "\n".join(lines))
    example = load_example("timeseries_forecasting")
    asked = []

    def get_file(**kwargs):
        asked.append(kwargs)
        return str(archive)

    monkeypatch.setattr(example.keras.utils, "get_file", get_file)
    assert example.main(["--quick", "--series", "jena", "--models", "Linear"]) == 0
    assert asked == [{"origin": example.JENA_URL, "fname": "jena_climate_2009_2016.csv.zip"}]
    out = capsys.readouterr().out
    assert "jena: 400 values (degC)" in out
    rows = table(out, 7)
    assert [r[1] for r in rows] == ["Last value (baseline)", "Linear"]
    # the baseline's validation MAE from the hourly values (70/20/10 of the 400 kept)
    hourly = np.round(temperature, 2)[5::6][:400]
    expected = np.abs(np.diff(hourly))[280 - 1 : 360 - 1].mean()
    np.testing.assert_allclose(float(rows[0][2]), expected, atol=6e-4)
