"""Evaluation of fitted classifiers by scikit-learn's metrics (needs the ``sklearn`` extra).

:func:`classification_report` lives here, beside the estimators, and not in
:mod:`neuroflow.metrics`: that module holds Keras's training metrics, is also
``neuroflow.keras.metrics``, and imports nothing beyond NumPy.
"""

from __future__ import annotations

import numpy as np
import sklearn.metrics as skm

from neuroflow.ops.activation import softmax_array

__all__ = ["classification_report"]


def classification_report(classifier, X, y, average: str = "macro") -> dict:
    """Accuracy, precision, recall, F1, the confusion matrix and ROC/AUC of a fitted classifier.

    Every figure is computed by scikit-learn's metrics (the ``sklearn`` extra). Works with
    neuroflow's estimators, scikit-learn's, and compiled neuroflow models that output
    class scores.

    Parameters
    ----------
    classifier : fitted estimator or Model
        Has ``predict`` (and, for ROC, ``predict_proba`` or ``decision_function``); a
        neuroflow ``Model`` is read as giving one score per class.
    X, y : array_like
        Data and true labels.
    average : str, default "macro"
        How precision, recall and F1 are averaged over classes (binary: of the positive
        class, the larger label).

    Returns
    -------
    dict with ``accuracy``, ``precision``, ``recall``, ``f1``, ``confusion_matrix``,
    ``labels``, ``roc_auc`` and ``roc`` (``{label: (fpr, tpr, thresholds)}``; one-vs-rest
    for several classes; None when the classifier gives no scores).

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from neuroflow.sklearn import Perceptron
    >>> X, y = make_blobs(300, centers=2, random_state=0)
    >>> report = classification_report(Perceptron().fit(X, y), X, y)
    >>> report["accuracy"], report["confusion_matrix"].shape
    (0.97, (2, 2))
    """
    y = np.asarray(y)
    scores = None
    if hasattr(classifier, "predict_proba"):
        scores = np.asarray(classifier.predict_proba(X))
        predicted = classifier.predict(X)
        labels = np.asarray(getattr(classifier, "classes_", np.unique(y)))
    elif hasattr(classifier, "decision_function"):
        scores = np.asarray(classifier.decision_function(X))
        predicted = classifier.predict(X)
        labels = np.asarray(classifier.classes_)
    else:  # a neuroflow model: one score per class, labels 0..k-1
        scores = np.asarray(classifier.predict(X, verbose=0))
        labels = np.arange(scores.shape[1])
        predicted = labels[np.argmax(scores, axis=1)]
        if y.ndim == 2:
            y = np.argmax(y, axis=1)
    binary = len(labels) == 2
    kwargs = {"average": "binary", "pos_label": labels[1]} if binary else {"average": average}
    report = {
        "accuracy": float(skm.accuracy_score(y, predicted)),
        "precision": float(skm.precision_score(y, predicted, zero_division=0, **kwargs)),
        "recall": float(skm.recall_score(y, predicted, zero_division=0, **kwargs)),
        "f1": float(skm.f1_score(y, predicted, zero_division=0, **kwargs)),
        "confusion_matrix": skm.confusion_matrix(y, predicted, labels=labels),
        "labels": labels,
        "roc_auc": None,
        "roc": None,
    }
    if scores is not None:
        if binary:
            positive = scores[:, 1] if scores.ndim == 2 else scores
            report["roc_auc"] = float(skm.roc_auc_score(y == labels[1], positive))
            report["roc"] = {labels[1]: skm.roc_curve(y == labels[1], positive)}
        elif scores.ndim == 2 and len(np.unique(y)) == len(labels):
            report["roc_auc"] = float(
                skm.roc_auc_score(y, _as_probabilities(scores), multi_class="ovr", labels=labels)
            )
            report["roc"] = {
                lab: skm.roc_curve(y == lab, scores[:, i]) for i, lab in enumerate(labels)
            }
    return report


def _as_probabilities(scores: np.ndarray) -> np.ndarray:
    """Scores as probabilities (roc_auc_score's one-vs-rest mode wants rows summing to 1)."""
    if np.all(scores >= 0) and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4):
        return scores / scores.sum(axis=1, keepdims=True)
    return softmax_array(scores, axis=1)
