"""Models: ``Sequential`` and the ``Model`` base class with the training loop."""

from neuroflow.models.functional import Functional, clone_model, model_from_json
from neuroflow.models.model import Model
from neuroflow.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "model_from_json"]
