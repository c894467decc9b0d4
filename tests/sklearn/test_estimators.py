"""Behaviour of neuroflow's scikit-learn estimators beyond sklearn's generic checks."""

import pickle
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import make_blobs, make_classification  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from neuroflow.sklearn import MLPClassifier, MLPRegressor, Perceptron  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def blobs():
    """Seed 001's example: 10,000 samples in two linearly separable 2-D blobs."""
    X, y = make_blobs(10_000, centers=2, random_state=42)
    return train_test_split(X, y, random_state=0)


@pytest.mark.parametrize("rule,eta0", [("perceptron", 1.0), ("adaline", 1e-4)])
def test_perceptron_on_blobs_scores_at_least_099(blobs, rule, eta0):
    X_train, X_test, y_train, y_test = blobs
    clf = Perceptron(rule=rule, eta0=eta0).fit(X_train, y_train)
    assert clf.score(X_train, y_train) >= 0.99
    assert clf.score(X_test, y_test) >= 0.99
    assert clf.coef_.shape == (1, 2) and clf.intercept_.shape == (1,)


def test_perceptron_rule_worked_by_hand():
    # one epoch, no shuffling, eta0 = 0.5: w <- w + eta (t - o) x with o = step(w.x + b)
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, 0])
    clf = Perceptron(eta0=0.5, max_iter=1, shuffle=False, tol=None).fit(X, y)
    # sample 1: o = step(0) = 0, t = 1 -> w = (0.5, 0), b = 0.5
    # sample 2: o = step(0 + 0.5) = 1, t = 0 -> w = (0.5, -0.5), b = 0
    np.testing.assert_allclose(clf.coef_, [[0.5, -0.5]])
    np.testing.assert_allclose(clf.intercept_, [0.0])


@pytest.mark.parametrize("rule", ["perceptron", "adaline"])
def test_a_single_class_is_refused(rule):
    with pytest.raises(ValueError, match="number of classes has to be greater than one; got 1"):
        Perceptron(rule=rule).fit(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array(["b", "b"]))


def test_adaline_rule_worked_by_hand():
    X = np.array([[1.0, 2.0], [2.0, 0.0]])
    y = np.array([1, 0])
    clf = Perceptron(rule="adaline", eta0=0.1, max_iter=1, shuffle=False, tol=None).fit(X, y)
    # targets +1/-1, output = w.x (no threshold)
    w, b = np.zeros(2), 0.0
    for x, t in zip(X, [1.0, -1.0]):
        err = t - (w @ x + b)
        w, b = w + 0.1 * err * x, b + 0.1 * err
    np.testing.assert_allclose(clf.coef_, [w])
    np.testing.assert_allclose(clf.intercept_, [b])


def test_perceptron_multiclass_one_vs_rest():
    X, y = make_blobs(600, centers=3, random_state=1)
    clf = Perceptron().fit(X, y)
    assert clf.coef_.shape == (3, 2) and clf.decision_function(X).shape == (600, 3)
    assert clf.score(X, y) > 0.95


def test_adaline_divergence_is_reported():
    X, y = make_blobs(200, centers=2, random_state=0)
    with pytest.raises(FloatingPointError, match="scale the features"):
        Perceptron(rule="adaline", eta0=10.0).fit(X * 100, y)


def test_mlp_matches_sklearn_accuracy_on_digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    ours = MLPClassifier((64,), max_iter=30, batch_size=32, random_state=0).fit(X_train, y_train)
    theirs = SkMLPClassifier((64,), max_iter=30, batch_size=32, random_state=0).fit(
        X_train, y_train
    )
    assert abs(ours.score(X_test, y_test) - theirs.score(X_test, y_test)) < 0.02
    assert ours.n_iter_ == theirs.n_iter_ == 30
    assert len(ours.loss_curve_) == 30 and ours.loss_ == ours.loss_curve_[-1]
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    proba = ours.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(ours.predict_log_proba(X_test), np.log(proba), rtol=1e-6)


def _sq_norm(clf) -> float:
    return sum(float((c**2).sum()) for c in clf.coefs_)


def test_alpha_shrinks_the_weights_as_sklearn_does():
    X, y = make_classification(300, 10, random_state=0)
    for alpha in (1e-5, 10.0):
        ours = MLPClassifier((20,), alpha=alpha, max_iter=50, random_state=0).fit(X, y)
        theirs = SkMLPClassifier((20,), alpha=alpha, max_iter=50, random_state=0).fit(X, y)
        assert _sq_norm(ours) == pytest.approx(_sq_norm(theirs), rel=0.1), alpha
    strong = MLPClassifier((20,), alpha=10.0, max_iter=50, random_state=0).fit(X, y)
    weak = MLPClassifier((20,), alpha=1e-5, max_iter=50, random_state=0).fit(X, y)
    assert _sq_norm(strong) < 0.8 * _sq_norm(weak)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"solver": "sgd", "learning_rate_init": 0.05},
        {"solver": "sgd", "learning_rate": "adaptive"},
        {"solver": "adam"},
    ],
)
def test_solvers_train_as_well_as_sklearn(kwargs):
    X, y = make_classification(400, 8, random_state=0)
    ours = MLPClassifier((16,), max_iter=60, random_state=0, **kwargs).fit(X, y)
    theirs = SkMLPClassifier((16,), max_iter=60, random_state=0, **kwargs).fit(X, y)
    assert ours.score(X, y) >= theirs.score(X, y) - 0.03


def test_rmsprop_dropout_and_early_stopping():
    X, y = make_classification(400, 8, random_state=0)
    adam = SkMLPClassifier((16,), max_iter=60, random_state=0).fit(X, y).score(X, y)
    for kwargs in ({"solver": "rmsprop"}, {"dropout": 0.3}):  # beyond scikit-learn
        clf = MLPClassifier((16,), max_iter=60, random_state=0, **kwargs).fit(X, y)
        assert clf.score(X, y) >= adam - 0.03, kwargs
    assert any(type(layer).__name__ == "Dropout" for layer in clf.model_.layers)
    es = MLPClassifier((16,), early_stopping=True, max_iter=300, random_state=0).fit(X, y)
    assert es.best_loss_ is None and len(es.validation_scores_) == es.n_iter_ < 300
    assert max(es.validation_scores_) == es.best_validation_score_


def test_training_stops_when_the_loss_stalls():
    X, y = make_blobs(200, centers=2, random_state=0)
    clf = MLPClassifier((8,), max_iter=500, tol=1e-2, random_state=0).fit(X, y)
    assert clf.n_iter_ < 500 and clf.best_loss_ == min(clf.loss_curve_)


def test_max_iter_reached_warns():
    X, y = make_blobs(100, centers=2, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        MLPClassifier((4,), max_iter=2, random_state=0).fit(X, y)
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)


def test_random_state_reproducible_and_warm_start_continues():
    X, y = make_classification(200, 5, random_state=0)
    a = MLPClassifier((8,), max_iter=5, random_state=3).fit(X, y)
    b = MLPClassifier((8,), max_iter=5, random_state=3).fit(X, y)
    for ca, cb in zip(a.coefs_, b.coefs_):
        np.testing.assert_array_equal(ca, cb)
    warm = MLPClassifier((8,), max_iter=5, random_state=3, warm_start=True).fit(X, y)
    warm.fit(X, y)
    assert warm.n_iter_ == 10 and len(warm.loss_curve_) == 10


def test_partial_fit_needs_classes_then_learns():
    X, y = make_blobs(300, centers=3, random_state=0)
    clf = MLPClassifier((16,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    theirs = SkMLPClassifier((16,), random_state=0)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    theirs.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    for _ in range(60):
        clf.partial_fit(X, y)
        theirs.partial_fit(X, y)
    assert clf.n_iter_ == 61
    assert clf.score(X, y) >= theirs.score(X, y) - 0.1  # one small step per epoch, like theirs
    with pytest.raises(ValueError, match="Expected only labels"):
        clf.partial_fit(X[:3], np.array([0, 1, 5]))


def test_regressor_identity_output_and_shapes():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (300, 2))
    y = X[:, 0] ** 2 + X[:, 1]
    reg = MLPRegressor((32,), max_iter=300, random_state=0).fit(X, y)
    assert reg.score(X, y) > 0.9 and reg.predict(X).shape == (300,)
    assert reg.model_.layers[-1].get_config()["activation"] == "linear"
    two = MLPRegressor((8,), max_iter=20, random_state=0).fit(X, np.c_[y, -y])
    assert two.predict(X).shape == (300, 2)


def test_bad_input_and_unfitted():
    X, y = make_blobs(50, centers=2, n_features=3, random_state=0)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(NotFittedError):
        Perceptron().decision_function(X)
    with pytest.raises(ValueError, match="'solver' parameter of MLPClassifier.*Got 'lbfgs'"):
        MLPClassifier(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match=r"'alpha' parameter .* range \[0, inf\). Got -1 "):
        MLPRegressor(alpha=-1).fit(X, y)
    with pytest.raises(ValueError, match="'rule' parameter of Perceptron.*Got 'hebb'"):
        Perceptron(rule="hebb").fit(X, y)
    clf = MLPClassifier((4,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but MLPClassifier is expecting 3"):
        clf.predict(X[:, :2])


def test_pipeline_grid_search_over_alpha_and_pickle():
    X, y = make_classification(300, 6, random_state=0)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("mlp", MLPClassifier((8,), learning_rate_init=0.01, max_iter=40, random_state=0)),
        ]
    )
    grid = GridSearchCV(pipe, {"mlp__alpha": [1e3, 1e-4]}, cv=3).fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    # alpha reaches the estimator inside the pipeline: the huge penalty leaves chance accuracy
    assert scores[0] < 0.6 and scores[1] > 0.9 and grid.best_params_["mlp__alpha"] == 1e-4
    # each candidate was fitted on a clone: the best one, refitted alone, scores the same
    best = pipe.set_params(mlp__alpha=grid.best_params_["mlp__alpha"])
    assert cross_val_score(best, X, y, cv=3).mean() == pytest.approx(grid.best_score_)
    restored = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(restored.predict(X), grid.best_estimator_.predict(X))
