"""Keras-compatible re-export of :mod:`neuroflow.utils` (no logic here).

The submodules keep tf.keras 2's import paths working: ``keras.utils.data_utils.get_file``,
``keras.utils.np_utils.to_categorical``.
"""

from neuroflow.keras.utils import data_utils, np_utils  # noqa: F401
from neuroflow.utils import *  # noqa: F403
from neuroflow.utils import __all__  # noqa: F401
from neuroflow.viz.model_plot import plot_model  # noqa: F401  (imports matplotlib only to draw)
