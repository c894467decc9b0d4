"""``tf.dtypes`` (re-exports only)."""

from neuroflow.dtypes import *  # noqa: F403
from neuroflow.dtypes import __all__  # noqa: F401
