"""scikit-learn estimators trained by neuroflow (needs the ``sklearn`` extra).

``Perceptron`` (the perceptron and Adaline rules), ``MLPClassifier`` and ``MLPRegressor``
with scikit-learn's parameters, so they work in pipelines and grid searches;
``classification_report`` scores any fitted classifier with scikit-learn's metrics.
"""

from neuroflow.sklearn._mlp import MLPClassifier, MLPRegressor
from neuroflow.sklearn._perceptron import Perceptron
from neuroflow.sklearn.metrics import classification_report

__all__ = ["MLPClassifier", "MLPRegressor", "Perceptron", "classification_report"]
