"""Bayesian optimization: a Gaussian process models the score, UCB picks the next trial.

Each trial's values are embedded in ``[0, 1]^d`` (``value_to_prob`` of each hyperparameter
that is not ``Fixed``). After ``num_initial_points`` random trials, a Gaussian process
with KerasTuner's (scikit-learn's) settings is fitted to the scores: a Matern kernel with
``nu=2.5``, one length scale chosen by the log marginal likelihood, targets normalized,
``alpha`` added to the diagonal. The next point minimizes the lower confidence bound
``mu - beta * sigma`` of the (sign-flipped when maximizing) score, searched by random
samples followed by a shrinking local pattern search. NumPy only.

>>> import numpy as np
>>> gp = GaussianProcess(alpha=1e-6).fit(np.array([[0.0], [0.5], [1.0]]), np.array([1.0, 0.0, 1.0]))
>>> mu, sigma = gp.predict(np.array([[0.5], [0.25]]))
>>> bool(abs(mu[0]) < 1e-3 and sigma[0] < 1e-2 < sigma[1])
True
"""

from __future__ import annotations

import numpy as np

from neuroflow.tuner.hyperparameters import Fixed, HyperParameters
from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import TrialStatus
from neuroflow.tuner.tuner import Tuner

__all__ = ["BayesianOptimization", "BayesianOptimizationOracle", "GaussianProcess"]


def matern52(a: np.ndarray, b: np.ndarray, length_scale: float) -> np.ndarray:
    """The Matern kernel with ``nu=2.5``: ``(1 + sqrt5 r + 5r^2/3) exp(-sqrt5 r)``."""
    d = np.sqrt(np.maximum(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1), 0.0)) / length_scale
    s = np.sqrt(5.0) * d
    return (1.0 + s + s * s / 3.0) * np.exp(-s)


class GaussianProcess:
    """Gaussian-process regression with a Matern 5/2 kernel (scikit-learn's
    ``GaussianProcessRegressor(Matern(nu=2.5), normalize_y=True, alpha=alpha)``).

    The length scale maximizes the log marginal likelihood within ``[1e-5, 1e5]``
    (scikit-learn's bounds), found on a log grid and refined by golden-section search.
    """

    def __init__(self, alpha: float = 1e-4):
        self.alpha = alpha

    def _neg_log_likelihood(self, length_scale: float) -> float:
        k = matern52(self._x, self._x, length_scale) + self.alpha * np.eye(len(self._x))
        try:
            chol = np.linalg.cholesky(k)
        except np.linalg.LinAlgError:
            return np.inf
        w = np.linalg.solve(chol.T, np.linalg.solve(chol, self._y))
        return float(0.5 * self._y @ w + np.log(np.diag(chol)).sum())

    def fit(self, x, y) -> GaussianProcess:
        self._x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        self._mean = y.mean()
        self._std = y.std() or 1.0
        self._y = (y - self._mean) / self._std
        grid = np.linspace(-5.0, 5.0, 41)
        nll = [self._neg_log_likelihood(10.0**g) for g in grid]
        i = int(np.argmin(nll))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
        ratio = (np.sqrt(5.0) - 1) / 2
        for _ in range(30):  # golden-section search on log10(length scale)
            a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
            if self._neg_log_likelihood(10.0**a) < self._neg_log_likelihood(10.0**b):
                hi = b
            else:
                lo = a
        self.length_scale = 10.0 ** ((lo + hi) / 2)
        k = matern52(self._x, self._x, self.length_scale) + self.alpha * np.eye(len(self._x))
        self._chol = np.linalg.cholesky(k)
        self._weights = np.linalg.solve(self._chol.T, np.linalg.solve(self._chol, self._y))
        return self

    def predict(self, x) -> tuple[np.ndarray, np.ndarray]:
        """The posterior mean and standard deviation at each row of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        k_star = matern52(x, self._x, self.length_scale)
        mean = k_star @ self._weights
        v = np.linalg.solve(self._chol, k_star.T)
        var = np.maximum(1.0 - (v * v).sum(0), 0.0)  # the kernel's k(x, x) is 1
        return mean * self._std + self._mean, np.sqrt(var) * self._std


class BayesianOptimizationOracle(Oracle):
    """Bayesian optimization with a Gaussian process and the upper confidence bound.

    Args:
        objective: the metric to optimize.
        max_trials: how many trials (default 10).
        num_initial_points: random trials before the Gaussian process is used (default
            ``max(3 * dimensions, 3)``).
        alpha: the value added to the kernel's diagonal (the observations' noise; 1e-4).
        beta: how much UCB favours exploration over exploitation (2.6).
        seed, hyperparameters, allow_new_entries, tune_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
    """

    def __init__(
        self,
        objective=None,
        max_trials=10,
        num_initial_points=None,
        alpha=1e-4,
        beta=2.6,
        seed=None,
        hyperparameters=None,
        allow_new_entries=True,
        tune_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
    ):
        super().__init__(
            objective=objective,
            max_trials=max_trials,
            hyperparameters=hyperparameters,
            allow_new_entries=allow_new_entries,
            tune_new_entries=tune_new_entries,
            seed=seed,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        if num_initial_points is not None and (
            isinstance(num_initial_points, bool)
            or not isinstance(num_initial_points, int)
            or num_initial_points < 1
        ):
            raise ValueError(
                "Expected `num_initial_points` to be a positive integer or None. "
                f"Received: num_initial_points={num_initial_points!r}"
            )
        if not alpha > 0:
            raise ValueError(f"Expected `alpha` to be positive. Received: alpha={alpha!r}")
        if not beta >= 0:
            raise ValueError(f"Expected `beta` to be non-negative. Received: beta={beta!r}")
        self.num_initial_points = num_initial_points
        self.alpha = alpha
        self.beta = beta

    def _nonfixed_space(self):
        return [hp for hp in self.hyperparameters.space if not isinstance(hp, Fixed)]

    def populate_space(self, trial_id):
        completed = [t for t in self.trials.values() if t.status == TrialStatus.COMPLETED]
        dimensions = len(self.hyperparameters.space)
        initial = self.num_initial_points or max(3 * dimensions, 3)
        if len(completed) < initial or not self._nonfixed_space():
            values = self._random_values()
            if values is None:
                return {"status": TrialStatus.STOPPED, "values": None}
            return {"status": TrialStatus.RUNNING, "values": values}
        x, y = self._vectorize_trials()
        gp = GaussianProcess(self.alpha).fit(np.nan_to_num(x), np.nan_to_num(y))
        best = self._minimize_lcb(gp, x.shape[1])
        return {"status": TrialStatus.RUNNING, "values": self._vector_to_values(best)}

    def _minimize_lcb(self, gp: GaussianProcess, dims: int) -> np.ndarray:
        """The point of ``[0, 1]^dims`` with the lowest ``mu - beta * sigma``: the best of
        random samples, each of the 5 best polished by a shrinking pattern search."""

        def lcb(points):
            mu, sigma = gp.predict(points)
            return mu - self.beta * sigma

        # seeded by the trial count, so that a reloaded search proposes what it would have
        rng = np.random.default_rng([self.seed, len(self.trials)])
        samples = rng.uniform(0.0, 1.0, size=(1000, dims))
        scores = lcb(samples)
        starts = samples[np.argsort(scores)[:5]]
        best_x, best_f = samples[int(np.argmin(scores))], float(scores.min())
        moves = np.concatenate([np.eye(dims), -np.eye(dims)])
        for x in starts:
            fx = float(lcb(x[None])[0])
            step = 0.1
            while step > 1e-3:
                candidates = np.clip(x + step * moves, 0.0, 1.0)
                values = lcb(candidates)
                j = int(np.argmin(values))
                if values[j] < fx - 1e-12:
                    x, fx = candidates[j], float(values[j])
                else:
                    step /= 2
            if fx < best_f:
                best_x, best_f = x, fx
        return best_x

    def _vectorize_trials(self) -> tuple[np.ndarray, np.ndarray]:
        ongoing = {t.trial_id for t in self.ongoing_trials.values()}
        rows, scores, pending = [], [], []
        for trial in self.trials.values():
            hps = trial.hyperparameters
            vector = []
            for hp in self._nonfixed_space():
                if hps.is_active(hp) and hp.name in hps.values:
                    value = hps.values[hp.name]
                else:
                    value = hp.default
                vector.append(hp.value_to_prob(value))
            if trial.trial_id in ongoing:
                pending.append(vector)
            elif trial.status == TrialStatus.COMPLETED:
                score = trial.score
                rows.append(vector)
                scores.append(-score if self.objective.direction == "max" else score)
        x, y = np.array(rows, dtype=np.float64), np.array(scores, dtype=np.float64)
        if pending:
            # running trials count with a pessimistic guess, so that parallel workers do not
            # all get the same point (KerasTuner's "hallucinated" results)
            gp = GaussianProcess(self.alpha).fit(np.nan_to_num(x), np.nan_to_num(y))
            mu, sigma = gp.predict(np.array(pending))
            x = np.concatenate([x, np.array(pending)])
            y = np.concatenate([y, mu + sigma])
        return x, y

    def _vector_to_values(self, vector) -> dict:
        hps = HyperParameters()
        index = 0
        for hp in self.hyperparameters.space:
            hps.merge([hp])
            if isinstance(hp, Fixed):
                value = hp.value
            else:
                value = hp.prob_to_value(float(vector[index]))
                index += 1
            if hps.is_active(hp):
                hps.values[hp.name] = value
        return hps.values

    def get_state(self):
        state = super().get_state()
        state.update(
            num_initial_points=self.num_initial_points,
            alpha=self.alpha,
            beta=self.beta,
        )
        return state

    def set_state(self, state):
        super().set_state(state)
        self.num_initial_points = state["num_initial_points"]
        self.alpha = state["alpha"]
        self.beta = state["beta"]


class BayesianOptimization(Tuner):
    """Bayesian optimization with a Gaussian process (see the module docstring).

    Args:
        hypermodel: ``build(hp)`` returning a compiled model, or a ``HyperModel``.
        objective: the metric to optimize.
        max_trials: how many trials (default 10).
        num_initial_points, alpha, beta: as :class:`BayesianOptimizationOracle`.
        seed, hyperparameters, tune_new_entries, allow_new_entries, max_retries_per_trial,
        max_consecutive_failed_trials: as :class:`~neuroflow.tuner.Oracle`.
        **kwargs: :class:`~neuroflow.tuner.Tuner`'s.
    """

    def __init__(
        self,
        hypermodel=None,
        objective=None,
        max_trials=10,
        num_initial_points=None,
        alpha=1e-4,
        beta=2.6,
        seed=None,
        hyperparameters=None,
        tune_new_entries=True,
        allow_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=3,
        **kwargs,
    ):
        oracle = BayesianOptimizationOracle(
            objective=objective,
            max_trials=max_trials,
            num_initial_points=num_initial_points,
            alpha=alpha,
            beta=beta,
            seed=seed,
            hyperparameters=hyperparameters,
            tune_new_entries=tune_new_entries,
            allow_new_entries=allow_new_entries,
            max_retries_per_trial=max_retries_per_trial,
            max_consecutive_failed_trials=max_consecutive_failed_trials,
        )
        super().__init__(oracle=oracle, hypermodel=hypermodel, **kwargs)
