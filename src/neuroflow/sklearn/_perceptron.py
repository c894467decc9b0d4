"""``Perceptron``: the classic perceptron rule and the Adaline rule, as a scikit-learn classifier.

Both rules update after every sample: ``w <- w + eta0 * (target - output) * x``, with the
bias as an extra weight on a constant input of 1 (seed 001). The perceptron's output is
the step of ``w.x`` and its targets are 0/1; Adaline's output is ``w.x`` itself and its
targets are -1/+1 (the Widrow-Hoff / least-mean-squares rule). Several classes are
learned one-vs-rest, all at once, as the columns of one weight matrix; the library's
Dense primitive computes ``decision_function``. No gradient is involved, so there is no
backpropagation here to share with the MLPs.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from neuroflow import ops
from neuroflow.sklearn._params import (
    BOOLEAN,
    NONE,
    RANDOM_STATE,
    VERBOSE,
    Interval,
    Options,
    validate_params,
)
from neuroflow.tensor import no_grad


class Perceptron(ClassifierMixin, BaseEstimator):
    """Perceptron classifier trained with the perceptron or the Adaline rule.

    Parameters
    ----------
    rule : {"perceptron", "adaline"}, default "perceptron"
        "perceptron" corrects with the thresholded output (0/1); "adaline" with the linear
        output against -1/+1 targets (it needs a small ``eta0`` and scaled features).
    eta0 : float, default 1.0
        Learning rate.
    max_iter : int, default 1000
        Maximum passes over the data.
    tol : float or None, default 1e-3
        Stop when the loss has not improved by ``tol`` for ``n_iter_no_change`` epochs.
    n_iter_no_change : int, default 5
    shuffle : bool, default True
        Visit the samples in a new random order every epoch.
    fit_intercept : bool, default True
        Learn a bias (the weight on a constant input of 1).
    random_state : int, RandomState or None, default 0
        Seeds the shuffling (scikit-learn's default is 0 too).
    verbose : int, default 0

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    classes_ : ndarray
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(200, centers=2, random_state=0)
    >>> Perceptron().fit(X, y).score(X, y) > 0.95
    True
    """

    _param_rules: dict = {
        "rule": [Options("perceptron", "adaline")],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), NONE],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "shuffle": [BOOLEAN],
        "fit_intercept": [BOOLEAN],
        "random_state": [RANDOM_STATE],
        "verbose": [VERBOSE],
    }

    def __init__(
        self,
        *,
        rule="perceptron",
        eta0=1.0,
        max_iter=1000,
        tol=1e-3,
        n_iter_no_change=5,
        shuffle=True,
        fit_intercept=True,
        random_state=0,
        verbose=0,
    ):
        self.rule = rule
        self.eta0 = eta0
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.shuffle = shuffle
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Learns the weights sample by sample; returns ``self``."""
        validate_params(self, self._param_rules)
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, labels = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got {len(self.classes_)} class"
            )
        binary = len(self.classes_) == 2
        onehot = labels[:, None] == (np.arange(1, 2) if binary else np.arange(len(self.classes_)))
        low = 0.0 if self.rule == "perceptron" else -1.0
        targets = np.where(onehot, 1.0, low)
        # the bias is the weight on an extra input fixed at 1
        inputs = np.hstack([X, np.ones((len(X), 1))]) if self.fit_intercept else X
        weights = np.zeros((inputs.shape[1], targets.shape[1]))
        rng = check_random_state(self.random_state)
        best, stale = np.inf, 0
        self.n_iter_ = 0
        for epoch in range(self.max_iter):
            order = rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
            try:
                with np.errstate(over="raise", invalid="raise"):
                    self._epoch(inputs, targets, weights, order)
            except FloatingPointError:
                raise FloatingPointError(
                    f"The weights diverged during epoch {epoch + 1} (rule={self.rule!r}, "
                    f"eta0={self.eta0}). The Adaline rule diverges once eta0 * |x|^2 > 2: "
                    "scale the features (StandardScaler) and/or lower eta0."
                ) from None
            self.n_iter_ = epoch + 1
            loss = self._loss(inputs @ weights, targets)
            if self.verbose:
                print(f"-- Epoch {self.n_iter_}, loss: {loss:.6f}")
            if self.rule == "perceptron" and loss == 0:
                break  # every sample on the right side: the perceptron rule has converged
            if self.tol is not None:
                stale = stale + 1 if loss > best - self.tol else 0
                best = min(best, loss)
                if stale >= self.n_iter_no_change:
                    break
        else:
            if self.tol is not None or self.rule == "perceptron":
                warnings.warn(
                    "Maximum number of iteration reached before convergence. "
                    "Consider increasing max_iter to improve the fit.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
        self._store(weights, X.shape[1])
        return self

    def _epoch(self, inputs, targets, weights, order) -> None:
        """One pass of the rule, sample by sample (the rule is sequential by definition)."""
        eta, threshold = self.eta0, self.rule == "perceptron"
        for i in order:
            x = inputs[i]
            output = x @ weights
            if threshold:
                output = (output > 0).astype(np.float64)  # the same side rule as predict
            error = targets[i] - output
            if threshold and not error.any():
                continue
            weights += eta * np.outer(x, error)

    def _loss(self, scores, targets) -> float:
        if self.rule == "adaline":
            return float(np.mean((targets - scores) ** 2))
        signs = np.where(targets > 0, 1.0, -1.0)
        return float(np.mean(np.maximum(0.0, -signs * scores)))  # the perceptron criterion

    def _store(self, weights, n_features) -> None:
        self.coef_ = np.ascontiguousarray(weights[:n_features].T)
        self.intercept_ = weights[-1].copy() if self.fit_intercept else np.zeros(weights.shape[1])

    def decision_function(self, X) -> np.ndarray:
        """Signed distance to each hyperplane (``(n,)`` for two classes).

        Computed by the Dense primitive in float64, so a sample's score does not depend on
        which other samples share its batch.
        """
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with no_grad():
            scores = ops.dense(X, self.coef_.T, self.intercept_).numpy()
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X) -> np.ndarray:
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]
