"""The tuner: runs the trials an oracle chooses, records them, and answers for the best.

Each trial is a picklable task (the hypermodel, the trial's hyperparameter values, the
arguments of ``fit`` and the paths to write) handed to an executor
(:func:`neuroflow.executors.get_executor`): in this process for ``n_jobs=1``, on worker
processes for ``n_jobs=k``, on a Dask cluster with ``distributed=``. The task builds the
model, trains it, saves the weights of its best epoch (neuroflow's format, atomically) and
returns the epoch logs; the oracle, in this process, scores the trial and chooses the next.
The trials stream: as soon as a worker is free (and the oracle has seen the trial that
ended there), the oracle is asked for the next trial, so no worker waits for a slower one.

Files (``directory/project_name/``), each written atomically::

    oracle.json                  the oracle's state (space, order of trials, seeds, retries)
    trial_<id>/trial.json        the trial's values, metrics, score and status
    trial_<id>/checkpoint.neuroflow   the weights of the trial's best epoch
    trial_<id>/build_config.json      the model's build config (KerasTuner's), so a model
                                      built without an input shape can be rebuilt to load them

With ``overwrite=False`` (the default), a tuner made on an existing project reloads it and
``search`` goes on from there: finished trials are not run again, and a trial that was
running when the search stopped runs again.
"""

from __future__ import annotations

import copy
import itertools
import json
import shutil
import statistics
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuroflow.callbacks import Callback
from neuroflow.tuner.hypermodel import HyperModel, get_hypermodel
from neuroflow.tuner.hyperparameters import HyperParameters
from neuroflow.tuner.objective import DefaultObjective, Objective
from neuroflow.tuner.oracle import Oracle
from neuroflow.tuner.trial import Trial, TrialStatus

__all__ = ["Tuner"]

CHECKPOINT = "checkpoint.neuroflow"
BUILD_CONFIG = "build_config.json"


class _SaveBestEpoch(Callback):
    """Saves the weights at each epoch that improves the objective (every epoch when the
    objective is not in the logs, as KerasTuner does)."""

    def __init__(self, objective: Objective, filepath: str):
        super().__init__()
        self.objective = objective
        self.filepath = filepath
        self.best_value = -np.inf if objective.direction == "max" else np.inf

    def on_epoch_end(self, epoch, logs=None):
        if not self.objective.has_value(logs):
            self.model.save_weights(self.filepath)
            return
        value = float(self.objective.get_value(logs))
        if self.objective.better_than(value, self.best_value):
            self.best_value = value
            self.model.save_weights(self.filepath)


class _FatalTrialError(Exception):
    """A mistake in the user's code that every trial would repeat (no retry)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class _TrialTask:
    """Everything a worker needs to run one trial (picklable)."""

    hypermodel: HyperModel
    hp_config: dict
    trial_id: str
    fit_args: tuple
    fit_kwargs: dict
    checkpoint: str
    objective: Objective
    executions_per_trial: int = 1
    initial_weights: str | None = None
    max_model_size: int | None = None
    seed: int = 0
    extra: dict = field(default_factory=dict)


def build_checked(hypermodel: HyperModel, hp: HyperParameters, max_model_size=None):
    """``hypermodel``'s model for ``hp``, checked to be a neuroflow model, and compiled
    unless the hypermodel's own ``fit`` trains it (KerasTuner's custom training loops
    compile, or train without compiling, in ``fit``)."""
    from neuroflow.models import Model

    model = hypermodel._build(hp)
    if not isinstance(model, Model):
        raise _FatalTrialError(
            "TypeError",
            "Expected the model-building function, or HyperModel.build(), to return a "
            f"compiled neuroflow model (neuroflow.keras.Model). Received: {model!r} of type "
            f"{type(model).__module__}.{type(model).__name__}.",
        )
    if not model.compiled and type(hypermodel).fit is HyperModel.fit:
        raise _FatalTrialError(
            "ValueError",
            "Expected the model-building function, or HyperModel.build(), to return a "
            f"compiled model: call model.compile(optimizer=..., loss=...) in build(hp). "
            f"Received: the model {model.name!r}, not compiled.",
        )
    if max_model_size is not None and model.built and model.count_params() > max_model_size:
        raise RuntimeError(
            f"Oversized model: {model.count_params()} parameters (max_model_size="
            f"{max_model_size}). Skip model."
        )
    return model


def _as_logs(result) -> dict:
    """One execution's result as ``{"history": {metric: [per epoch]}}``."""
    from neuroflow.callbacks import History

    if isinstance(result, History):
        return {"history": {k: [float(v) for v in vs] for k, vs in result.history.items()}}
    if isinstance(result, dict):
        return {"history": {k: [float(v)] for k, v in result.items()}}
    if isinstance(result, (int, float, np.floating, np.integer)) and not isinstance(result, bool):
        return {"value": float(result)}
    if result is None:
        raise _FatalTrialError(
            "TypeError",
            "The return value of HyperModel.fit() is None. Did you forget to return the "
            "metrics (the History that model.fit returns)?",
        )
    raise _FatalTrialError(
        "TypeError",
        "Expected the return value of HyperModel.fit() to be a History, a dict of metrics or "
        f"a float. Received: {result!r} of type {type(result).__name__}",
    )


@dataclass
class _OwnRunTrial:
    """A trial run by a tuner subclass's own ``run_trial`` (KerasTuner's contract: it
    returns a History, a dict of metrics, the objective's value, or a list of those), in
    this process."""

    tuner: Tuner
    trial: Trial
    fit_args: tuple
    fit_kwargs: dict


def run_trial_task(task: _TrialTask | _OwnRunTrial) -> dict:
    """Runs one trial: builds, trains and checkpoints; returns each execution's logs.

    A mistake every trial would repeat (``build`` returning something that is not a
    compiled model, ``fit`` returning nothing) comes back as ``{"fatal": ...}`` so that the
    search stops with it; any other exception is the trial's failure (retried, then FAILED).
    """
    if isinstance(task, _OwnRunTrial):
        try:
            results = task.tuner.run_trial(task.trial, *task.fit_args, **task.fit_kwargs)
            results = results if isinstance(results, list) else [results]
            executions = [_as_logs(r) for r in results]
        except _FatalTrialError as e:
            return {"fatal": e.kind, "message": str(e)}
        return {
            "executions": executions,
            "hyperparameters": task.trial.hyperparameters.get_config(),
        }
    from neuroflow.backend import using_rng

    hp = HyperParameters.from_config(task.hp_config)
    checkpoint_cb = _SaveBestEpoch(task.objective, task.checkpoint)
    user_callbacks = list(task.fit_kwargs.get("callbacks") or [])
    executions = []
    try:
        for execution in range(task.executions_per_trial):
            seed = zlib.crc32(f"{task.seed}/{task.trial_id}/{execution}".encode())
            with using_rng(np.random.default_rng(seed)):
                model = build_checked(task.hypermodel, hp, task.max_model_size)
                if task.initial_weights:
                    model.load_weights(task.initial_weights)
                kwargs = dict(task.fit_kwargs)
                try:
                    callbacks = copy.deepcopy(user_callbacks)
                except Exception:  # a callback that cannot be copied is shared, as given
                    callbacks = list(user_callbacks)
                kwargs["callbacks"] = [*callbacks, checkpoint_cb]
                result = task.hypermodel.fit(hp, model, *task.fit_args, **kwargs)
                executions.append(_as_logs(result))
                _save_build_config(model, Path(task.checkpoint).with_name(BUILD_CONFIG))
    except _FatalTrialError as e:
        return {"fatal": e.kind, "message": str(e)}
    return {"executions": executions, "hyperparameters": hp.get_config()}


def _save_build_config(model, path: Path) -> None:
    """Writes ``model.get_build_config()`` as JSON (atomically), as KerasTuner does after
    each execution, for :meth:`Tuner.load_model` to build an unbuilt model from."""
    from neuroflow.utils.files import atomic_write_bytes

    get = getattr(model, "get_build_config", None)
    config = get() if get is not None else None
    if config is not None:
        atomic_write_bytes(path, json.dumps(config).encode("utf-8"))


def _best_epoch(history: dict, objective: Objective) -> tuple[dict, int]:
    """The metrics of the epoch with the best objective, and that epoch."""
    epochs = max((len(v) for v in history.values()), default=0)
    best_epoch, best = 0, None
    for epoch in range(epochs):
        logs = history.get(objective.name, [])
        if epoch >= len(logs):
            continue
        value = logs[epoch]
        if best is None or objective.better_than(value, best):
            best_epoch, best = epoch, value
    metrics = {k: v[best_epoch] for k, v in history.items() if best_epoch < len(v)}
    return metrics, best_epoch


class Tuner:
    """Runs a search: the oracle chooses values, the tuner builds and trains the models.

    Args:
        oracle: the :class:`~neuroflow.tuner.Oracle` that chooses each trial's values.
        hypermodel: a function ``build(hp)`` returning a compiled neuroflow model, or a
            :class:`~neuroflow.tuner.HyperModel`.
        max_model_size: models with more parameters are skipped (the trial fails).
        directory: where the project folder goes (default ``"."``).
        project_name: the project folder's name (default ``"untitled_project"``).
        overwrite: ``True`` deletes an existing project of that name first; ``False``
            reloads it and goes on with its search.
        executions_per_trial: models trained (from new initial weights) per trial; their
            metrics are averaged.
        n_jobs: ``1`` runs the trials here; ``k`` on ``k`` worker processes; ``-1`` one per
            core.
        distributed: ``None``, ``"dask"``, a Dask scheduler address or a
            ``dask.distributed.Client`` (see :func:`neuroflow.executors.get_executor`).
        tuner_id: the name of this tuner in the oracle's records.
    """

    def __init__(
        self,
        oracle: Oracle,
        hypermodel=None,
        max_model_size=None,
        directory=None,
        project_name=None,
        overwrite: bool = False,
        executions_per_trial: int = 1,
        n_jobs=1,
        distributed=None,
        tuner_id=None,
    ):
        if not isinstance(oracle, Oracle):
            raise ValueError(
                "Expected `oracle` argument to be an instance of `Oracle`. "
                f"Received: oracle={oracle!r} (of type {type(oracle).__name__})."
            )
        if hypermodel is None and type(self).run_trial is Tuner.run_trial:
            raise ValueError(
                "Received `hypermodel=None`. We only allow not specifying `hypermodel` if the "
                "user defines the search space in `Tuner.run_trial()` by subclassing a "
                "`Tuner` class without using a `HyperModel` instance."
            )
        if (
            isinstance(executions_per_trial, bool)
            or not isinstance(executions_per_trial, int)
            or executions_per_trial < 1
        ):
            raise ValueError(
                "Expected `executions_per_trial` to be a positive integer. "
                f"Received: executions_per_trial={executions_per_trial!r}"
            )
        self.oracle = oracle
        self.hypermodel = get_hypermodel(hypermodel)
        self.max_model_size = max_model_size
        self.executions_per_trial = executions_per_trial
        self.n_jobs = n_jobs
        self.distributed = distributed
        self.tuner_id = tuner_id or "tuner0"
        self.directory = str(directory or ".")
        self.project_name = project_name or "untitled_project"
        self.oracle._set_project_dir(self.project_dir)
        if overwrite and self.project_dir.exists():
            shutil.rmtree(self.project_dir)
        self.reloaded = False
        if not overwrite and (self.project_dir / "oracle.json").exists():
            print(f"Reloading Tuner from {self.project_dir / 'oracle.json'}")
            self.oracle.reload()
            self.reloaded = True
        else:
            self.project_dir.mkdir(parents=True, exist_ok=True)
            self._populate_initial_space()
            self.oracle.save()

    # -- the project
    @property
    def project_dir(self) -> Path:
        return Path(self.directory) / self.project_name

    def get_trial_dir(self, trial_id: str) -> Path:
        return self.project_dir / f"trial_{trial_id}"

    def _get_checkpoint_fname(self, trial_id: str) -> str:
        return str(self.get_trial_dir(trial_id) / CHECKPOINT)

    def _get_build_config_fname(self, trial_id: str) -> str:
        return str(self.get_trial_dir(trial_id) / BUILD_CONFIG)

    @property
    def remaining_trials(self):
        """Trials left before ``max_trials`` (``None`` without a limit)."""
        return self.oracle.remaining_trials()

    # -- the space
    def _populate_initial_space(self) -> None:
        """Builds the hypermodel until every conditional scope has been active once, so the
        oracle knows the whole space (KerasTuner's discovery of conditional parameters)."""
        if self.hypermodel is None:
            return
        hp = self.oracle.get_space()
        self.hypermodel.declare_hyperparameters(hp)
        self.oracle.update_space(hp)
        never_active: list = []
        once_active: list = []
        hp = self.oracle.get_space()
        while True:
            try:
                build_checked(self.hypermodel, hp)
            except _FatalTrialError as e:
                raise (TypeError if e.kind == "TypeError" else ValueError)(str(e)) from None
            self.oracle.update_space(hp)
            for conditions in hp.active_scopes:
                if conditions not in once_active:
                    once_active.append(copy.deepcopy(conditions))
                if conditions in never_active:
                    never_active.remove(conditions)
            for conditions in hp.inactive_scopes:
                if conditions not in once_active and conditions not in never_active:
                    never_active.append(copy.deepcopy(conditions))
            if not never_active:
                break
            hp = self.oracle.get_space()
            for condition in never_active[0]:
                hp.values[condition.name] = condition.values[0]
            hp.ensure_active_values()

    def search_space_summary(self, extended: bool = False) -> None:
        """Prints the search space as KerasTuner does."""
        print("Search space summary")
        hp = self.oracle.get_space()
        print(f"Default search space size: {len(hp.space)}")
        for p in hp.space:
            config = p.get_config()
            name = config.pop("name")
            print(f"{name} ({type(p).__name__})")
            print(config)

    # -- the search
    def _check_search_space(self) -> None:
        if self._own_run_trial():  # run_trial may define the space as it goes
            return
        fit_overridden = type(self.hypermodel).fit is not HyperModel.fit
        if not self.oracle.hyperparameters.space and not fit_overridden:
            raise ValueError(
                "The search space is empty: build(hp) defined no hyperparameters "
                "(hp.Int, hp.Float, hp.Choice, hp.Boolean), so there is nothing to search. "
                "Define at least one in build(hp), or pass `hyperparameters=`."
            )

    def _make_task(self, trial: Trial, fit_args: tuple, fit_kwargs: dict) -> _TrialTask:
        return _TrialTask(
            hypermodel=self.hypermodel,
            hp_config=trial.hyperparameters.get_config(),
            trial_id=trial.trial_id,
            fit_args=fit_args,
            fit_kwargs=fit_kwargs,
            checkpoint=self._get_checkpoint_fname(trial.trial_id),
            objective=self.oracle.objective,
            executions_per_trial=self.executions_per_trial,
            max_model_size=self.max_model_size,
            seed=self.oracle.seed,
        )

    def _trial_task(self, trial: Trial, fit_args: tuple, fit_kwargs: dict) -> _TrialTask:
        """The task that runs ``trial`` (built-in tuners adjust ``fit``'s arguments here)."""
        self.get_trial_dir(trial.trial_id).mkdir(parents=True, exist_ok=True)
        return self._make_task(trial, fit_args, fit_kwargs)

    def run_trial(self, trial: Trial, *fit_args, **fit_kwargs) -> list:
        """Runs ``trial`` here and returns one History per execution (KerasTuner's).

        A subclass may override it, as KerasTuner's users do, to build and train in its own
        way (or to optimise any function of ``trial.hyperparameters``) and return a History,
        a dict of metrics, the objective's value, or a list of those. Trials of such a tuner
        run in this process, one at a time.
        """
        from neuroflow.callbacks import History

        result = run_trial_task(self._trial_task(trial, fit_args, fit_kwargs))
        if "fatal" in result:
            raise _FatalTrialError(result["fatal"], result["message"])
        histories = []
        for logs in result["executions"]:
            history = History()
            history.history = dict(logs.get("history", {}))
            histories.append(history)
        return histories

    def _own_run_trial(self) -> bool:
        return type(self).run_trial is not Tuner.run_trial

    def search(self, *fit_args, **fit_kwargs) -> None:
        """Runs trials until the oracle stops (``max_trials`` reached or space exhausted).

        Takes ``fit``'s arguments: ``search(x, y, epochs=..., validation_data=...,
        validation_split=..., batch_size=..., callbacks=[...], verbose=...)``. ``verbose``
        also sets how much the search itself prints.
        """
        from neuroflow.executors import get_executor

        if "verbose" in fit_kwargs:
            self.oracle.verbose = fit_kwargs["verbose"]
        self._check_search_space()
        finished_before = len(self.oracle.end_order)
        ran = 0
        started: list[tuple] = []  # (worker slot, trial) handed to the executor, by index
        running: dict[int, Trial] = {}  # worker slot -> its trial
        n_jobs, distributed = self.n_jobs, self.distributed
        if self._own_run_trial() and (n_jobs != 1 or distributed is not None):
            warnings.warn(
                f"{type(self).__name__} overrides run_trial(), so its trials run in this "
                "process, one at a time (n_jobs and distributed are ignored).",
                RuntimeWarning,
                stacklevel=2,
            )
            n_jobs, distributed = 1, None
        with get_executor(n_jobs, distributed) as executor:
            tasks = self._stream_tasks(started, running, fit_args, fit_kwargs)
            for outcome in executor.map_unordered(run_trial_task, tasks, retries=0):
                slot, trial = started[outcome.index]
                del running[slot]
                self._end_trial(trial, outcome)
                ran += 1
        if ran == 0 and self.oracle.verbose:
            print("Oracle triggered exit")
            if finished_before:
                print(
                    f"The search in {self.project_dir} is already finished: "
                    f"{finished_before} trials were run before (max_trials="
                    f"{self.oracle.max_trials}), so no new trial ran. Pass `overwrite=True` "
                    "to start over, another `project_name`, or a larger `max_trials`."
                )

    def _stream_tasks(self, started: list, running: dict, fit_args: tuple, fit_kwargs: dict):
        """The trials' tasks, one each time the executor has a free worker.

        The executor pulls the next task only after the outcome that freed a worker went
        through :meth:`_end_trial`, so the oracle has seen every finished trial when it chooses
        the next one, as a KerasTuner worker asking its oracle for a trial. The oracle's
        ``IDLE`` (waiting for running trials, e.g. Hyperband between rounds) and its
        ``STOPPED`` while trials still run (one may fail and be retried) are :data:`WAIT`:
        asked again after the next trial ends. ``STOPPED`` with none running ends the search.
        """
        from neuroflow.executors import WAIT

        while True:
            slot = next(i for i in itertools.count() if i not in running)  # the free worker's
            trial = self.oracle.create_trial(f"{self.tuner_id}/{slot}")
            if trial.status == TrialStatus.RUNNING:
                running[slot] = trial
                started.append((slot, trial))
                if self._own_run_trial():
                    yield _OwnRunTrial(self, trial, fit_args, fit_kwargs)
                else:
                    yield self._trial_task(trial, fit_args, fit_kwargs)
            elif running:
                yield WAIT
            elif trial.status == TrialStatus.IDLE:
                # KerasTuner's workers ask again at once; with no trial running nothing can
                # change the oracle's answer, so asking again would never end
                warnings.warn(
                    f"{type(self.oracle).__name__}.populate_space() answered IDLE (wait for "
                    "running trials) while no trial was running; the search ends here. An "
                    "oracle with nothing left to run should answer STOPPED.",
                    RuntimeWarning,
                    stacklevel=3,
                )
                return
            else:  # STOPPED, nothing running: the search is over
                return

    def _end_trial(self, trial: Trial, outcome) -> None:
        if not outcome.ok:
            trial.status = TrialStatus.INVALID
            trial.message = outcome.error
            self.oracle.end_trial(trial)
            return
        result = outcome.value
        if "fatal" in result:
            error = TypeError if result["fatal"] == "TypeError" else ValueError
            raise error(result["message"])
        trial.hyperparameters = HyperParameters.from_config(result["hyperparameters"])
        metrics, step = self._metrics_of(result["executions"])
        self.oracle.update_trial(trial.trial_id, metrics, step=step)
        trial.status = TrialStatus.COMPLETED
        self.oracle.end_trial(trial)

    def _metrics_of(self, executions: list) -> tuple[dict, int]:
        """The trial's metrics (the best epoch of each execution, averaged) and its step."""
        objective = self.oracle.objective
        per_execution, steps = [], []
        for logs in executions:
            if "value" in logs:
                per_execution.append({objective.name: logs["value"]})
                steps.append(0)
                continue
            history = logs["history"]
            if not objective.has_value(history):
                if isinstance(objective, DefaultObjective):
                    raise ValueError(
                        "Expected an `objective` (a metric name such as 'val_accuracy', or "
                        "`kt.Objective(name, direction)`), or HyperModel.fit() returning a "
                        f"single float. The logs hold: {sorted(history)}"
                    )
                raise ValueError(
                    f"The objective {objective.name!r} is not in the logs of the trial's "
                    f"training. Available metrics: {sorted(history)}. Use one of these as "
                    "`objective` (a metric starting with 'val_' needs validation_data or "
                    "validation_split in search(), and metrics=[...] in compile)."
                )
            metrics, epoch = _best_epoch(history, objective)
            per_execution.append(metrics)
            steps.append(epoch)
        names = {k for m in per_execution for k in m}
        averaged = {
            k: float(np.mean([m[k] for m in per_execution if k in m])) for k in sorted(names)
        }
        return averaged, int(statistics.mean(steps)) if steps else 0

    # -- results
    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """The hyperparameters of the best trials, best first."""
        return [t.hyperparameters for t in self.oracle.get_best_trials(num_trials)]

    def load_model(self, trial: Trial):
        """The model of ``trial``, rebuilt and with the weights of its best epoch."""
        try:
            model = build_checked(self.hypermodel, trial.hyperparameters)
        except _FatalTrialError as e:
            raise (TypeError if e.kind == "TypeError" else ValueError)(str(e)) from None
        path = self._get_checkpoint_fname(trial.trial_id)
        if not Path(path).exists():
            raise FileNotFoundError(
                f"No weights were saved for trial {trial.trial_id} (status {trial.status}): "
                f"{path} does not exist."
            )
        build_config = Path(self._get_build_config_fname(trial.trial_id))
        if not model.built and build_config.exists():  # e.g. a Sequential with no input shape
            model.build_from_config(json.loads(build_config.read_text("utf-8")))
        model.load_weights(path)
        return model

    def get_best_models(self, num_models: int = 1) -> list:
        """The best trials' models, rebuilt with their saved weights, best first."""
        return [self.load_model(t) for t in self.oracle.get_best_trials(num_models)]

    def results_summary(self, num_trials: int = 10) -> None:
        """Prints the best trials as KerasTuner does."""
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(f"{self.oracle.objective}")
        for trial in self.oracle.get_best_trials(num_trials):
            print()
            trial.summary()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(objective={self.oracle.objective}, "
            f"max_trials={self.oracle.max_trials}, project_dir='{self.project_dir}')"
        )
