"""Process-wide switches a user may set: the fused fast paths and the BLAS threads.

>>> import neuroflow as nf
>>> nf.config.fusion_enabled()
True
>>> with nf.config.fusion(False):
...     nf.config.fusion_enabled()
False
"""

from __future__ import annotations

import contextlib
import os
from typing import NamedTuple

# ------------------------------------------------------------------ fused fast paths
_fusion = os.environ.get("NEUROFLOW_FUSION", "1") != "0"


def fusion_enabled() -> bool:
    """Whether models may run neighbouring layers as one fused node (e.g. Conv2D + MaxPooling2D).

    The fused paths give the same values and gradients as the layers run one by one (up to
    float rounding); turning fusion off runs exactly the readable reference ops, which is
    what a learner reading ``neuroflow/ops`` sees. ``NEUROFLOW_FUSION=0`` turns it off at
    startup.
    """
    return _fusion


def set_fusion(enabled: bool) -> None:
    """Turns the fused fast paths on or off for the whole process."""
    global _fusion
    if not isinstance(enabled, bool):
        raise TypeError(f"Expected `enabled` to be True or False. Received: enabled={enabled!r}")
    _fusion = enabled


@contextlib.contextmanager
def fusion(enabled: bool):
    """``with config.fusion(False): ...`` runs the block with fusion on or off."""
    previous = _fusion
    set_fusion(enabled)
    try:
        yield
    finally:
        set_fusion(previous)


# ------------------------------------------------------------------------ BLAS threads
def set_num_threads(n) -> None:
    """Fixes how many threads the matrix products run on; ``None`` or ``"auto"`` restores
    the automatic choice (see :mod:`neuroflow.threads`: small products on one thread,
    never more threads than free cores).

    ``NEUROFLOW_NUM_THREADS=n`` does the same from the environment. A training process
    started beside others of its kind (a parallel search's workers) should use 1.

    >>> import neuroflow as nf
    >>> nf.config.set_num_threads(1)
    >>> nf.config.get_num_threads()
    1
    >>> nf.config.set_num_threads(None)
    """
    from neuroflow import threads

    threads.set_num_threads(n)


def get_num_threads() -> int:
    """The thread count large products use now (fixed, or the automatic one in force)."""
    from neuroflow import threads

    return threads.get_num_threads()


# ------------------------------------------------------------- TensorFlow's tf.config
class PhysicalDevice(NamedTuple):
    """A device the library can run on (TensorFlow's ``tf.config.PhysicalDevice``)."""

    name: str
    device_type: str


LogicalDevice = PhysicalDevice


def list_physical_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    """The devices computations run on: the CPU, as TensorFlow names it (no GPU is used).

    >>> import neuroflow as tf
    >>> tf.config.list_physical_devices()
    [PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
    >>> tf.config.list_physical_devices("GPU")
    []
    """
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError(
            f"Expected `device_type` to be a string such as 'CPU' or 'GPU'. Received: "
            f"{device_type!r}"
        )
    cpu = PhysicalDevice("/physical_device:CPU:0", "CPU")
    return [cpu] if device_type is None or device_type.upper() == "CPU" else []


def list_logical_devices(device_type: str | None = None) -> list[LogicalDevice]:
    """The logical devices: the CPU (``/device:CPU:0``)."""
    return [
        LogicalDevice(d.name.replace("physical_device", "device"), d.device_type)
        for d in list_physical_devices(device_type)
    ]


def get_visible_devices(device_type: str | None = None) -> list[PhysicalDevice]:
    return list_physical_devices(device_type)


def set_visible_devices(devices, device_type: str | None = None) -> None:
    """Accepted for TensorFlow's notebooks (hiding GPUs): the CPU is always used."""


def set_soft_device_placement(enabled: bool) -> None:
    """Accepted for TensorFlow's notebooks; there is one device."""


def run_functions_eagerly(run_eagerly: bool) -> None:
    """Accepted for TensorFlow's notebooks: functions always run eagerly here."""


def functions_run_eagerly() -> bool:
    return True


class experimental:  # noqa: N801  (TensorFlow's namespace tf.config.experimental)
    """``tf.config.experimental``: the calls notebooks make before training."""

    list_physical_devices = staticmethod(list_physical_devices)
    list_logical_devices = staticmethod(list_logical_devices)

    @staticmethod
    def set_memory_growth(device, enable: bool) -> None:
        """Accepted for TensorFlow's GPU notebooks; memory is NumPy's."""

    @staticmethod
    def get_memory_growth(device) -> bool:
        return False


class threading:  # noqa: N801  (TensorFlow's namespace tf.config.threading)
    """``tf.config.threading``: the thread counts map to :func:`set_num_threads`."""

    @staticmethod
    def set_intra_op_parallelism_threads(num_threads: int) -> None:
        """0 restores the automatic choice, as in TensorFlow."""
        set_num_threads(None if num_threads == 0 else num_threads)

    @staticmethod
    def get_intra_op_parallelism_threads() -> int:
        return get_num_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(num_threads: int) -> None:
        """Accepted: operations run one after another."""

    @staticmethod
    def get_inter_op_parallelism_threads() -> int:
        return 1
