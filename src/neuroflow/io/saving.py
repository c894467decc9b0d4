"""Which format a file name means, as in Keras 3: the one entry point for saving and loading.

=========================  ==========================================================
name ends in               format
=========================  ==========================================================
``.keras``                 Keras 3's zip archive (``config.json``, ``metadata.json``,
                           ``model.weights.h5``), which Keras itself loads
``.h5``, ``.hdf5``         Keras's legacy HDF5 (``model_config``, ``model_weights``)
``.weights.h5``            Keras 3's weights-only HDF5 (``save_weights``/``load_weights``)
``.neuroflow``, ``.nf``    neuroflow's own safe zip format (:mod:`neuroflow.io.native`),
                           which also keeps the optimizer's state for every optimizer
anything else              the ``ValueError`` Keras 3 raises for that name
=========================  ==========================================================

The Keras formats need h5py (the ``h5`` extra); it is imported only when one is used.
Every write goes to a temporary file renamed over the target, so a crash never leaves a
half-written file behind.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from neuroflow.io import native
from neuroflow.io.custom_objects import custom_object_scope

NATIVE_SUFFIXES = (".neuroflow", ".nf")


def _name(filepath) -> str:
    if not isinstance(filepath, (str, os.PathLike)):
        raise TypeError(
            "Expected `filepath` to be a str or a pathlib.Path. "
            f"Received: filepath={filepath!r} of type {type(filepath).__name__}."
        )
    return os.fspath(filepath)


def _may_write(filepath: str, overwrite: bool) -> None:
    # Keras asks on the terminal; a library cannot, so an existing file is an error
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' exists and overwrite=False.")


def _is_native_archive(filepath: str) -> bool:
    """A neuroflow zip (what neuroflow wrote under every name before Keras files existed)."""
    try:
        with zipfile.ZipFile(filepath) as archive:
            return native.MANIFEST in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def save_model(model, filepath, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Saves ``model`` in the format its file name asks for (see the module's table).

    Parameters
    ----------
    model : Model
        A built model.
    filepath : str or pathlib.Path
        Ends in ``.keras``, ``.h5``/``.hdf5`` or ``.neuroflow``; anything else is the
        ``ValueError`` Keras 3 raises.
    overwrite : bool, default True
        False refuses to replace an existing file (``FileExistsError``).
    include_optimizer : bool, default True
        Whether the compile settings (and, for ``.neuroflow``/``.h5``, the optimizer's
        state) are saved.

    Examples
    --------
    >>> import tempfile, os
    >>> from neuroflow import layers, models
    >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.neuroflow")
    >>> save_model(model, path)
    >>> load_model(path).count_params()
    8
    >>> save_model(model, "my_model")
    Traceback (most recent call last):
    ...
    ValueError: Invalid filepath extension for saving. Please add either a `.keras` extension ...
    """
    name = _name(filepath)
    if name.endswith(NATIVE_SUFFIXES):
        _may_write(name, overwrite)
        native.save_model(model, filepath, include_optimizer=include_optimizer)
        return
    if name.endswith(".keras") or name.endswith((".h5", ".hdf5")):
        from neuroflow.io import keras_writer

        _may_write(name, overwrite)
        if name.endswith(".keras"):
            keras_writer.save_keras_archive(model, filepath, include_optimizer=include_optimizer)
        else:
            keras_writer.save_keras_h5(model, filepath, include_optimizer=include_optimizer)
        return
    raise ValueError(
        "Invalid filepath extension for saving. Please add either a `.keras` extension for "
        "the native Keras format (recommended) or a `.h5` extension (or `.neuroflow` for "
        "neuroflow's own format, which keeps every optimizer's state). "
        f"Received: filepath={name}."
    )


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Saves the weights only: Keras 3's ``.weights.h5``, or neuroflow's ``.neuroflow``.

    Examples
    --------
    >>> from neuroflow import layers, models
    >>> model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    >>> save_weights(model, "weights.h5")
    Traceback (most recent call last):
    ...
    ValueError: The filename must end in `.weights.h5`. Received: filepath=weights.h5 ...
    """
    name = _name(filepath)
    if name.endswith(NATIVE_SUFFIXES):
        _may_write(name, overwrite)
        native.save_weights(model, filepath)
        return
    if name.endswith(".weights.h5"):
        from neuroflow.io import keras_writer

        _may_write(name, overwrite)
        keras_writer.save_keras_weights(model, filepath)
        return
    raise ValueError(
        f"The filename must end in `.weights.h5`. Received: filepath={name} "
        "(or in `.neuroflow` for neuroflow's own format)."
    )


def _unsupported(name: str) -> ValueError:
    return ValueError(
        f"File format not supported: filepath={name}. Keras 3 only supports V3 `.keras` "
        "files and legacy H5 format files (`.h5` extension); neuroflow also reads its own "
        "`.neuroflow` files. Note that the legacy SavedModel format is not supported by "
        "`load_model()` in Keras 3 (nor in neuroflow)."
    )


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):  # noqa: A002
    """Loads a model from a ``.keras``, ``.h5``/``.hdf5`` or ``.neuroflow`` file.

    Files Keras wrote and files neuroflow wrote load alike. A class or function the file
    names that is not Keras's or neuroflow's own is looked up only among the objects
    registered with ``keras.saving.register_keras_serializable``, in an active
    ``custom_object_scope`` or in ``custom_objects`` (a dict of name -> class or function),
    then built with ``cls.from_config(config)``; nothing is imported by the module name a
    file gives. Lambda layers are refused whatever ``safe_mode`` says: their code would
    have to come from the file (``safe_mode=False`` does not unlock them here).

    Examples
    --------
    >>> load_model("saved_model_dir")
    Traceback (most recent call last):
    ...
    ValueError: File format not supported: filepath=saved_model_dir. Keras 3 only supports ...
    """
    name = _name(filepath)
    if not isinstance(safe_mode, bool):
        raise TypeError(f"Expected `safe_mode` to be a bool. Received: safe_mode={safe_mode!r}.")
    with custom_object_scope(custom_objects):
        return _load_model(name, filepath, compile)


def _load_model(name: str, filepath, compile: bool):  # noqa: A002
    if name.endswith(NATIVE_SUFFIXES):
        return native.load_model(filepath, compile=compile)
    if name.endswith(".keras"):
        if not os.path.isfile(name) or not zipfile.is_zipfile(name):
            raise ValueError(
                f"File not found: filepath={name}. Please ensure the file is an accessible "
                "`.keras` zip file."
            )
        if _is_native_archive(name):  # written by an older neuroflow under a Keras name
            return native.load_model(filepath, compile=compile)
        from neuroflow.io import keras_files

        return keras_files.load_keras_archive(filepath, compile=compile)
    if name.endswith((".h5", ".hdf5")):
        if not os.path.exists(name):
            raise FileNotFoundError(f"No such file: '{name}'")
        if _is_native_archive(name):
            return native.load_model(filepath, compile=compile)
        from neuroflow.io import keras_files

        return keras_files.load_keras_h5(filepath, compile=compile)
    raise _unsupported(name)


def load_weights(model, filepath) -> None:
    """Loads weights into a built ``model`` from any file :func:`save_weights` or
    :func:`save_model` writes (and the same files written by Keras)."""
    name = _name(filepath)
    if name.endswith(NATIVE_SUFFIXES):
        native.load_weights(model, filepath)
        return
    if name.endswith((".keras", ".h5", ".hdf5")):
        if not Path(name).is_file():
            raise FileNotFoundError(f"No such file: '{name}'")
        if _is_native_archive(name):
            native.load_weights(model, filepath)
            return
        from neuroflow.io import keras_files

        if name.endswith(".keras"):
            keras_files.load_archive_weights(model, filepath)
        elif name.endswith(".weights.h5"):
            keras_files.load_keras3_weights(model, filepath)
        else:
            keras_files.load_legacy_weights(model, filepath)
        return
    raise ValueError(
        f"File format not supported: filepath={name}. Keras 3 only supports V3 `.keras` "
        "files, `.weights.h5` files, legacy H5 format files (`.h5` extension), or Orbax "
        "checkpoints; neuroflow also reads its own `.neuroflow` files."
    )


__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
