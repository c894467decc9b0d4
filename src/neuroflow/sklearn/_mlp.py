"""``MLPClassifier`` and ``MLPRegressor``: scikit-learn's estimators, trained by neuroflow.

The parameters, defaults, fitted attributes and stopping rules are scikit-learn's; the
network is a :class:`neuroflow.models.Sequential` trained by its ``fit``. Beyond
scikit-learn: ``solver="rmsprop"`` and ``dropout``.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets, unique_labels
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from neuroflow import backend, initializers, layers, losses, optimizers, regularizers
from neuroflow.models import Sequential
from neuroflow.sklearn._params import (
    ARRAY_LIKE,
    BOOLEAN,
    RANDOM_STATE,
    VERBOSE,
    Interval,
    Options,
    validate_params,
)

_ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


def _half_mse(y_true, y_pred):
    """scikit-learn's squared loss: half the mean squared error, per sample."""
    return losses.mean_squared_error(y_true, y_pred) * 0.5


class _SummedLogLoss(losses.BinaryCrossentropy):
    """Logistic loss summed over the outputs (scikit-learn's), not averaged (Keras's)."""

    def __init__(self, n_outputs: int):
        super().__init__(name="log_loss")
        self.n_outputs = n_outputs

    def call(self, y_true, y_pred):
        return super().call(y_true, y_pred) * float(self.n_outputs)


class _BaseMLP(BaseEstimator):
    _param_rules: dict = {
        "hidden_layer_sizes": [ARRAY_LIKE, Interval(Integral, 1, None, closed="left")],
        "activation": [Options(*_ACTIVATIONS)],
        "solver": [Options("sgd", "adam", "rmsprop")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Options("auto"), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Options("constant", "invscaling", "adaptive")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": [BOOLEAN],
        "random_state": [RANDOM_STATE],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": [VERBOSE],
        "warm_start": [BOOLEAN],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": [BOOLEAN],
        "early_stopping": [BOOLEAN],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(np.inf)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        dropout=0.0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout

    # ------------------------------------------------------------------ the network
    def _hidden_sizes(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(isinstance(s, bool) or not isinstance(s, Integral) for s in sizes):
            raise TypeError(f"hidden_layer_sizes must hold ints, got {self.hidden_layer_sizes!r}.")
        if any(s <= 0 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}.")
        return [int(s) for s in sizes]

    def _build(self, n_features: int, n_outputs: int, out_activation: str, batch: int):
        """scikit-learn's initialisation (uniform in +-sqrt(factor / (fan_in + fan_out)),
        biases too) and its penalty ``alpha / 2 * ||W||^2 / batch`` on the kernels."""
        sizes = [n_features, *self._hidden_sizes(), n_outputs]
        factor = 2.0 if self.activation == "logistic" else 6.0
        stack = [layers.Input((n_features,))]
        for i, units in enumerate(sizes[1:]):
            bound = math.sqrt(factor / (sizes[i] + units))
            init = initializers.RandomUniform(-bound, bound)
            last = i == len(sizes) - 2
            stack.append(
                layers.Dense(
                    units,
                    activation=out_activation if last else _ACTIVATIONS[self.activation],
                    kernel_initializer=init,
                    bias_initializer=init,
                    kernel_regularizer=regularizers.L2(self.alpha / (2 * batch))
                    if self.alpha
                    else None,
                )
            )
            if not last and self.dropout:
                stack.append(layers.Dropout(self.dropout))
        return Sequential(stack)

    def _optimizer(self):
        lr = self.learning_rate_init
        if self.solver == "adam":
            return optimizers.Adam(lr, beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        if self.solver == "rmsprop":
            return optimizers.RMSprop(lr, epsilon=self.epsilon)
        return optimizers.SGD(lr, momentum=self.momentum, nesterov=self.nesterovs_momentum)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, one ``(n_in, n_out)`` array per layer (views of the model's)."""
        check_is_fitted(self, "model_")
        return [layer.kernel.data for layer in self.model_.layers if hasattr(layer, "kernel")]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, one per layer (views of the model's)."""
        check_is_fitted(self, "model_")
        return [layer.bias.data for layer in self.model_.layers if hasattr(layer, "bias")]

    # --------------------------------------------------------------------- training
    def _fit(self, X, y, incremental: bool):
        first = not hasattr(self, "model_") or not (self.warm_start or incremental)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=not self._is_classifier,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = self._encode_targets(y, first)
        n_samples = X.shape[0]
        if self.batch_size == "auto":
            batch = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is "
                    "going to be clipped",
                    stacklevel=3,
                )
            batch = min(self.batch_size, n_samples)
        if first:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            self._rng = np.random.default_rng(seed)
            with backend.using_rng(self._rng):
                self.model_ = self._build(X.shape[1], Y.shape[1], self._out_activation, batch)
            self.model_.compile(self._optimizer(), self._loss())
            self.n_iter_, self.t_ = 0, 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.best_loss_ = None if self.early_stopping else np.inf
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = -np.inf if self.early_stopping else None
        X32, Y32 = X.astype(np.float32, copy=False), Y.astype(np.float32, copy=False)
        x_val = y_val = None
        if self.early_stopping and not incremental:
            single_label = self._is_classifier and self._label_binarizer.y_type_ in (
                "binary",
                "multiclass",
            )
            stratify = y if single_label else None
            X32, x_val, Y32, Y_val = train_test_split(
                X32,
                Y32,
                random_state=int(self._rng.integers(2**31)),
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            y_val = self._decode(Y_val)
        self._best_weights = None
        with backend.using_rng(self._rng):
            self._run_epochs(
                X32, Y32, x_val, y_val, batch, 1 if incremental else self.max_iter, incremental
            )
        if self.early_stopping and self._best_weights is not None:
            self.model_.set_weights(self._best_weights)
        self._best_weights = None
        return self

    def _run_epochs(self, X, Y, x_val, y_val, batch, epochs, incremental):
        optimizer = self.model_.optimizer
        for _ in range(epochs):
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                optimizer.learning_rate = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            history = self.model_.fit(
                X, Y, batch_size=batch, epochs=1, shuffle=self.shuffle, verbose=0
            )
            self.n_iter_ += 1
            self.t_ += X.shape[0]
            loss = history.history["loss"][0]
            self.loss_curve_.append(loss)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {loss:.8f}")
            self._update_no_improvement_count(x_val, y_val)
            if incremental:
                continue
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                if self.solver == "sgd" and self.learning_rate == "adaptive":
                    if optimizer.learning_rate > 1e-6:
                        optimizer.learning_rate = optimizer.learning_rate / 5
                        self._no_improvement_count = 0
                        continue
                if self.verbose:
                    print(
                        f"{what} did not improve more than tol={self.tol} for "
                        f"{self.n_iter_no_change} consecutive epochs. Stopping."
                    )
                break
        else:
            if not incremental and self.n_iter_ >= self.max_iter:
                warnings.warn(
                    f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                    "the optimization hasn't converged yet.",
                    ConvergenceWarning,
                    stacklevel=3,
                )
        self.loss_ = self.loss_curve_[-1]

    def _update_no_improvement_count(self, x_val, y_val):
        if self.early_stopping and x_val is not None:
            score = self._validation_score(x_val, y_val)
            self.validation_scores_.append(score)
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = self.model_.get_weights()
            return
        last = self.loss_curve_[-1]
        best = np.inf if self.best_loss_ is None else self.best_loss_
        self._no_improvement_count = self._no_improvement_count + 1 if last > best - self.tol else 0
        if self.best_loss_ is not None and last < self.best_loss_:
            self.best_loss_ = last

    def _forward(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X.astype(np.float32, copy=False), batch_size=1024, verbose=0)

    def fit(self, X, y):
        """Trains on ``(X, y)`` for up to ``max_iter`` epochs; returns ``self``."""
        validate_params(self, self._param_rules)
        return self._fit(X, y, incremental=False)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier (scikit-learn's API, neuroflow's engine).

    Softmax output and cross-entropy for several classes, one logistic unit for two, one
    per label for multilabel targets, as in scikit-learn.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> X, y = make_blobs(200, centers=3, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
    """

    _is_classifier = True

    def _encode_targets(self, y, first: bool) -> np.ndarray:
        check_classification_targets(y)
        if first and not getattr(self, "_classes_fixed", False):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            new = np.setdiff1d(np.unique(y), self.classes_) if np.ndim(y) == 1 else []
            if len(new):
                raise ValueError(
                    f"Expected only labels in classes_ = {self.classes_}, but got {new} "
                    "(warm_start and partial_fit keep the classes of the first call)."
                )
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        self._out_activation = "softmax" if multiclass else "sigmoid"
        return self._label_binarizer.transform(y)

    def _loss(self):
        if self._out_activation == "softmax":
            return "categorical_crossentropy"
        n_out = len(self.classes_) if self._label_binarizer.y_type_ == "multilabel-indicator" else 1
        return _SummedLogLoss(n_out)

    def _decode(self, Y):
        return self._label_binarizer.inverse_transform(Y)

    def _validation_score(self, x_val, y_val) -> float:
        return (
            float(np.mean(self._predict_encoded(x_val) == y_val))
            if np.ndim(y_val) == 1
            else float(np.mean(np.all(self._predict_encoded(x_val) == y_val, axis=1)))
        )

    def _predict_encoded(self, X32):
        out = self.model_.predict(X32, batch_size=1024, verbose=0)
        return self._label_binarizer.inverse_transform(out.ravel() if out.shape[1] == 1 else out)

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``(X, y)``; the first call needs ``classes``."""
        validate_params(self, self._param_rules)
        if self._starts_partial_fit(classes):
            self._label_binarizer = LabelBinarizer().fit(classes)
            self.classes_ = self._label_binarizer.classes_
            self.__dict__.pop("model_", None)
        self._classes_fixed = True  # encode y with the classes given, not those in this batch
        try:
            return self._fit(X, y, incremental=True)
        finally:
            self._classes_fixed = False

    def _starts_partial_fit(self, classes) -> bool:
        """scikit-learn's rule: ``classes`` is needed on the first call and must not change."""
        known = getattr(self, "classes_", None)
        if classes is None:
            if known is None:
                raise ValueError("classes must be passed on the first call to partial_fit.")
            return False
        if known is None:
            return True
        if not np.array_equal(known, unique_labels(classes)):
            raise ValueError(
                f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                f"was: {known!r}"
            )
        return False

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, ``(n_samples, n_classes)``."""
        out = self._forward(X)
        if out.shape[1] == 1 and self._label_binarizer.y_type_ == "binary":
            return np.hstack([1 - out, out])
        return out

    def predict_log_proba(self, X) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        out = self._forward(X)
        return self._label_binarizer.inverse_transform(out.ravel() if out.shape[1] == 1 else out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor with an identity output (scikit-learn's API).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.linspace(-1, 1, 200).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    >>> reg.fit(X, X.ravel() ** 2).score(X, X.ravel() ** 2) > 0.9
    True
    """

    _is_classifier = False
    _out_activation = "linear"

    def _encode_targets(self, y, first: bool) -> np.ndarray:
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if first:
            self.n_outputs_ = Y.shape[1]
        return Y

    def _loss(self):
        return _half_mse

    def _decode(self, Y):
        return Y

    def _validation_score(self, x_val, y_val) -> float:
        pred = self.model_.predict(x_val, batch_size=1024, verbose=0)
        from sklearn.metrics import r2_score

        return float(r2_score(y_val, pred))

    def partial_fit(self, X, y):
        """One epoch over ``(X, y)``."""
        validate_params(self, self._param_rules)
        return self._fit(X, y, incremental=True)

    def predict(self, X) -> np.ndarray:
        out = self._forward(X)
        return out.ravel() if self.n_outputs_ == 1 else out
