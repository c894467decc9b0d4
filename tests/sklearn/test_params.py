"""The estimators' own hyperparameter checks (no private scikit-learn API behind them)."""

import ast
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_blobs  # noqa: E402

import neuroflow.sklearn  # noqa: E402
from neuroflow.sklearn import MLPClassifier, MLPRegressor, Perceptron  # noqa: E402
from neuroflow.sklearn._params import Interval, Options, validate_params  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ESTIMATORS = [MLPClassifier, MLPRegressor, Perceptron]
X, Y = make_blobs(20, centers=2, n_features=3, random_state=0)


class _BadType:
    """A value no rule accepts (scikit-learn's check_param_validation uses the same)."""


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_every_parameter_has_a_rule(cls):
    assert set(cls._param_rules) == set(cls().get_params())


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_value_of_the_wrong_type_is_a_type_error_naming_the_parameter(cls):
    for name in cls().get_params():
        estimator = cls().set_params(**{name: _BadType()})
        methods = ["fit", "partial_fit"] if hasattr(estimator, "partial_fit") else ["fit"]
        for method in methods:
            kwargs = {"classes": [0, 1]} if method == "partial_fit" and cls is MLPClassifier else {}
            with pytest.raises(TypeError, match=f"The '{name}' parameter of {cls.__name__}"):
                getattr(estimator, method)(X, Y, **kwargs)


@pytest.mark.parametrize(
    "cls,name,value,expected",
    [
        (MLPClassifier, "solver", "lbfgs", "a str among {'adam', 'rmsprop', 'sgd'}"),
        (MLPClassifier, "hidden_layer_sizes", 0, "an array-like or an int in the range [1, inf)"),
        (MLPClassifier, "max_iter", 0, "an int in the range [1, inf)"),
        (MLPClassifier, "learning_rate_init", 0.0, "a float in the range (0, inf)"),
        (MLPClassifier, "momentum", 1.5, "a float in the range [0, 1]"),
        (MLPClassifier, "validation_fraction", 1.0, "a float in the range [0, 1)"),
        (MLPClassifier, "batch_size", "big", "a str among {'auto'} or an int in the range"),
        (MLPRegressor, "n_iter_no_change", 0, "an int in the range [1, inf) or a float among"),
        (MLPRegressor, "dropout", -0.1, "a float in the range [0, 1)"),
        (Perceptron, "eta0", 0, "a float in the range (0, inf)"),
        (Perceptron, "tol", -1.0, "a float in the range [0, inf) or None"),
    ],
)
def test_a_value_out_of_range_is_a_value_error_saying_what_is_expected(cls, name, value, expected):
    with pytest.raises(ValueError) as caught:
        cls(**{name: value}).fit(X, Y)
    message = str(caught.value)
    assert f"The '{name}' parameter of {cls.__name__} must be {expected}" in message
    assert f"Got {value!r} instead." in message


def test_hidden_layer_sizes_hold_positive_ints():
    with pytest.raises(TypeError, match=r"hidden_layer_sizes must hold ints, got \(8, 'a'\)"):
        MLPClassifier((8, "a")).fit(X, Y)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be > 0, got \[4, 0\]"):
        MLPRegressor([4, 0]).fit(X, Y)


@pytest.mark.parametrize("value", [True, np.bool_(False), 2.5, "10"])
def test_a_bool_float_or_str_is_not_an_int(value):
    with pytest.raises(TypeError, match=f"'max_iter' parameter .* Got {value!r} instead"):
        Perceptron(max_iter=value).fit(X, Y)


@pytest.mark.parametrize(
    "cls,params",
    [
        (MLPClassifier, {"hidden_layer_sizes": 3, "batch_size": 5, "n_iter_no_change": np.inf}),
        (MLPClassifier, {"hidden_layer_sizes": np.array([4, 2]), "random_state": np.int64(1)}),
        (MLPRegressor, {"max_iter": np.int32(3), "alpha": np.float32(0.5), "verbose": 0}),
        (Perceptron, {"tol": None, "random_state": np.random.RandomState(0), "shuffle": False}),
    ],
)
def test_accepted_values_pass(cls, params):
    estimator = cls(**{"max_iter": 3, **params}).fit(X, Y)
    assert estimator.n_iter_ >= 1
    assert estimator.get_params()["max_iter"] is params.get("max_iter", 3)


def test_interval_bounds():
    closed_left = Interval(float, 0, 1, closed="left")
    assert closed_left.accepts(0.0) and not closed_left.accepts(1.0)
    assert Interval(float, 0, 1, closed="right").accepts(1.0)
    assert not Interval(float, 0, 1, closed="neither").accepts(0.0)
    assert Interval(float, None, None, closed="both").accepts(-1e300)


def test_validate_params_on_any_object():
    class Thing:
        size = "huge"

    with pytest.raises(ValueError, match=r"The 'size' parameter of Thing must be a str among "):
        validate_params(Thing(), {"size": [Options("small", "large")]})


def test_partial_fit_keeps_the_first_classes():
    clf = MLPClassifier((4,), random_state=0).partial_fit(X, Y, classes=[0, 1])
    clf.partial_fit(X, Y, classes=np.array([1, 0]))  # the same set, in any order
    with pytest.raises(ValueError, match=r"`classes=\[0, 1, 2\]` is not the same as on last call"):
        clf.partial_fit(X, Y, classes=[0, 1, 2])


def test_no_private_scikit_learn_api_is_imported():
    """scikit-learn may change its private modules and names in any release."""
    private = []
    for path in Path(neuroflow.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                names = [node.module, *(alias.name for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("sklearn")]
            else:
                continue
            if any(part.startswith("_") for name in names for part in name.split(".")):
                private.append(f"{path.name}:{node.lineno}")
    assert not private, f"private scikit-learn imports at {private}"
