"""scikit-learn estimators trained by neuroflow (needs the ``sklearn`` extra).

``Perceptron`` (the perceptron and Adaline rules), ``MLPClassifier`` and ``MLPRegressor``
with scikit-learn's parameters, so they work in pipelines and grid searches.
"""

from neuroflow.sklearn._mlp import MLPClassifier, MLPRegressor
from neuroflow.sklearn._perceptron import Perceptron

__all__ = ["MLPClassifier", "MLPRegressor", "Perceptron"]
