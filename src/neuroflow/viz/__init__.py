"""Pictures that show a learner what happens inside a network (matplotlib, the ``viz`` extra).

Each function draws one picture from the seeds in one call, takes an optional ``ax``/``fig``
to draw into, and returns the matplotlib Figure (or Axes). ``import neuroflow`` does not import
this package, and this package imports matplotlib only when a picture is drawn, so
``neuroflow.viz`` is importable without matplotlib; a picture then raises an ``ImportError``
naming the command that installs it (``pip install "neuroflow[viz]"``).
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it (imported on first use)
_WHERE = {
    "plot_history": "training",
    "plot_weights": "weights",
    "plot_aggregated_weights": "weights",
    "plot_images": "images",
    "plot_misclassified": "images",
    "plot_confusion_matrix": "evaluation",
    "plot_roc": "evaluation",
    "plot_decision_boundary": "evaluation",
    "plot_activations": "activations",
    "plot_kernels": "conv",
    "plot_feature_maps": "conv",
    "hidden_features": "function_fit",
    "plot_function_fit": "function_fit",
    "plot_model": "model_plot",
    "draw_graph": "graph",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'neuroflow.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
