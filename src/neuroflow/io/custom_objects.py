"""Custom classes and functions in saved files, as Keras 3's ``keras.saving`` registers them.

A file may name a class that is not one of the library's own (a user's layer, a custom
activation function). The loaders look such a name up ONLY here: among the objects the user
registered with :func:`register_keras_serializable`, put in :func:`get_custom_objects`, in an
active :func:`custom_object_scope`, or passed as ``load_model(custom_objects=...)``. Nothing
is ever imported by the module name a file gives, so a file cannot make code run that the
program did not already hold.

Names follow Keras: a registered object is ``"package>name"`` (``"Custom>MyLayer"``); an
unregistered class is known by its ``__name__``.
"""

from __future__ import annotations

import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS: dict = {}
_GLOBAL_CUSTOM_NAMES: dict = {}  # object -> its registered name
_SCOPES = threading.local()  # the custom_object_scope stack of each thread


def _scopes() -> list:
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Registers a class or function under ``"package>name"`` so that files naming it load.

    Parameters
    ----------
    package : str, default "Custom"
        The prefix of the registered name; it may not contain ``">"``.
    name : str, optional
        Defaults to the object's ``__name__``.

    Examples
    --------
    >>> from neuroflow import keras
    >>> @keras.saving.register_keras_serializable(package="Doc")
    ... def doubled(x):
    ...     return x * 2
    >>> keras.saving.get_registered_name(doubled)
    'Doc>doubled'
    >>> keras.saving.get_registered_object("Doc>doubled") is doubled
    True
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(
            f"Invalid value for argument `package`: expected a string without '>'. "
            f"Received: package={package!r}"
        )
    if name is not None and not isinstance(name, str):
        raise TypeError(f"Expected `name` to be a str or None. Received: name={name!r}")

    def decorator(arg):
        class_name = name if name is not None else getattr(arg, "__name__", None)
        if not isinstance(class_name, str):
            raise TypeError(f"Cannot register {arg!r}: it has no __name__; pass `name=`.")
        registered = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError(
                f"Cannot register a class that does not have a get_config() method. "
                f"Received: {arg!r}"
            )
        _GLOBAL_CUSTOM_OBJECTS[registered] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered
        return arg

    return decorator


def get_custom_objects() -> dict:
    """The global dict of registered objects (mutable, as in Keras: ``.clear()`` empties it).

    Examples
    --------
    >>> from neuroflow import keras
    >>> def my_fn(x):
    ...     return x
    >>> keras.saving.get_custom_objects()["my_fn"] = my_fn
    >>> keras.saving.get_registered_object("my_fn") is my_fn
    True
    >>> del keras.saving.get_custom_objects()["my_fn"]
    """
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """The name ``obj`` is saved under: ``"package>name"`` if registered, else its
    ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object registered under ``name`` (scopes, global registry, then the dicts given),
    or None."""
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


class CustomObjectScope:
    """Makes ``custom_objects`` findable by the loaders inside a ``with`` block.

    Examples
    --------
    >>> from neuroflow import keras
    >>> def my_fn(x):
    ...     return x
    >>> with keras.saving.custom_object_scope({"my_fn": my_fn}):
    ...     keras.saving.get_registered_object("my_fn") is my_fn
    True
    >>> keras.saving.get_registered_object("my_fn") is None
    True
    """

    def __init__(self, custom_objects=None):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(
                "Expected `custom_objects` to be a dict mapping names to classes or functions. "
                f"Received: custom_objects={custom_objects!r}"
            )
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc):
        _scopes().pop()


custom_object_scope = CustomObjectScope


# ---------------------------------------------------------------- what the loaders call
def is_custom(obj) -> bool:
    """True for a user's class or function (not one of the library's own)."""
    if obj is None or not callable(obj):
        return False
    module = getattr(obj, "__module__", "") or ""
    return not module.startswith("neuroflow.") or obj in _GLOBAL_CUSTOM_NAMES


def find(class_name, registered_name=None):
    """The custom object a file names, or None: by its registered name, then its class name,
    then either without its ``package>`` prefix, among the registered and scoped objects
    only."""
    keys = [registered_name, class_name]
    # a name given in custom_objects without the file's "package>" prefix is found too
    keys += [k.rsplit(">", 1)[1] for k in keys if isinstance(k, str) and ">" in k]
    for key in keys:
        if isinstance(key, str):
            found = get_registered_object(key)
            if found is not None:
                return found
    return None


def not_found(class_name, registered_name=None, what: str = "class") -> str:
    """The error text for a name the file gives that nothing registered matches."""
    key = registered_name if isinstance(registered_name, str) else class_name
    return (
        f"Could not locate {what} '{key}'. Make sure custom classes and functions are "
        "decorated with `@keras.saving.register_keras_serializable()`, or pass them to "
        f"load_model(custom_objects={{'{key}': ...}}) or a keras.saving.custom_object_scope. "
        "Objects are never imported by the module name a file gives."
    )


def function_spec(fn) -> dict:
    """A custom function as Keras 3 writes it in a config."""
    return {
        "module": "builtins",
        "class_name": "function",
        "config": get_registered_name(fn),
        "registered_name": "function",
    }


def resolve_function(value):
    """A function a config names (Keras's function spec or a plain name), or None."""
    name = value.get("config") if isinstance(value, dict) else value
    found = find(name) if isinstance(name, str) else None
    return found if callable(found) and not inspect.isclass(found) else None


def serialize_keras_object(obj):
    """Keras 3's ``{"module", "class_name", "config", "registered_name"}`` for ``obj``
    (a layer, regularizer, ... with ``get_config``, or a function); plain values pass."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(v) for v in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if inspect.isfunction(obj):
        return function_spec(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: expected an object with get_config() or a function."
        )
    cls = type(obj)
    custom = is_custom(cls)
    spec = {
        "module": None if cls in _GLOBAL_CUSTOM_NAMES else _keras_module(cls),
        "class_name": cls.__name__,
        "config": obj.get_config(),
        "registered_name": get_registered_name(cls) if custom else None,
    }
    build_config = obj.get_build_config() if hasattr(obj, "get_build_config") else None
    if build_config is not None:  # a built layer's input shape, as Keras 3 writes it
        spec["build_config"] = build_config
    return spec


def deserialize_keras_object(config, custom_objects=None):
    """The object a :func:`serialize_keras_object` dict describes; classes are looked up
    among the library's own and the registered ones only."""
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, list):
        return [deserialize_keras_object(v, custom_objects) for v in config]
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"Expected a dict with 'class_name' and 'config'. Received: {config!r}")
    with CustomObjectScope(custom_objects):
        if config["class_name"] == "function":
            fn = resolve_function(config)
            if fn is None:
                raise TypeError(not_found(config.get("config"), what="function"))
            return fn
        cls = find(config["class_name"], config.get("registered_name")) or _library_class(
            config["class_name"]
        )
        if cls is None:
            raise TypeError(not_found(config["class_name"], config.get("registered_name")))
        return cls.from_config(dict(config.get("config") or {}))


def _keras_module(cls) -> str:
    """The public Keras module of a library class, as Keras 3 writes it (``keras.layers`` for
    any layer, ``keras`` for a model); a user's class keeps its own module."""
    parts = cls.__module__.split(".")
    if parts[0] != "neuroflow" or len(parts) < 2:
        return cls.__module__
    return "keras" if parts[1] == "models" else f"keras.{parts[1]}"


def _library_class(name):
    from neuroflow import constraints, initializers, layers, regularizers
    from neuroflow.models import Sequential
    from neuroflow.models.functional import Functional

    if name in ("Functional", "Model"):
        return Functional
    if name == "Sequential":
        return Sequential
    if name in layers.layer_classes():
        return layers.layer_classes()[name]
    for module in (regularizers, initializers, constraints):
        cls = getattr(module, name, None)
        if inspect.isclass(cls) and hasattr(cls, "from_config"):
            return cls
    return None


__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
]


# ------------------------------------------------------------- neuroflow's native format
def mark_registered(config: dict, model) -> dict:
    """Writes each custom layer's ``registered_name`` (and a custom activation's registered
    name) into a model's ``get_config()``, so that the native loader can find them."""
    from neuroflow.models import Model

    entries = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(entries, list):
        return config
    by_name = {layer.name: layer for layer in model.layers}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        inner = entry.get("config")
        name = entry.get("name") or (inner.get("name") if isinstance(inner, dict) else None)
        if name is not None:  # a Sequential's entries (its InputLayer first) name the layer
            layer = by_name.get(name)
        else:
            layer = model.layers[i] if i < len(model.layers) else None
        if layer is None:
            continue
        if isinstance(layer, Model):
            mark_registered(entry.get("config"), layer)
            continue
        if is_custom(type(layer)):
            entry["registered_name"] = get_registered_name(type(layer))
        inner = entry.get("config")
        for key in list(inner) if isinstance(inner, dict) else []:
            if key.endswith("activation") and is_custom(getattr(layer, key, None)):
                inner[key] = get_registered_name(getattr(layer, key))
    return config


def deserialize_layer(spec: dict):
    """A layer from a native ``{"class_name", "config"[, "registered_name"]}``: the
    library's own class, else a registered or given one; custom activations by name."""
    from neuroflow import activations, layers

    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str):
        raise ValueError(f"Expected {{'class_name': str, 'config': dict}}. Received: {spec!r}")
    name, registered = spec["class_name"], spec.get("registered_name")
    config = dict(spec.get("config") or {}) if isinstance(spec.get("config"), dict) else None
    if config is None:
        raise ValueError(f"The config of a {name} layer must be a dict. Received: {spec!r}")
    for key, value in list(config.items()):
        if key.endswith("activation") and isinstance(value, str):
            try:
                activations.get(value)
            except ValueError:
                fn = resolve_function(value)
                if fn is None:
                    raise ValueError(
                        f"Layer '{config.get('name', '?')}' sets {key}='{value}'. "
                        + not_found(value, what="function")
                    ) from None
                config[key] = fn
    builtin = layers.layer_classes().get(name)
    if builtin is not None and registered in (None, name):
        return builtin.from_config(config)
    cls = find(name, registered)
    if not isinstance(cls, type) or not hasattr(cls, "from_config"):
        if name == "Lambda":
            raise ValueError(
                "Unknown layer class 'Lambda': a Lambda layer holds Python code, which is "
                "never loaded from a file "
                "(safe_mode=False does not change that). Rebuild the model in code."
            )
        raise ValueError(
            f"Unknown layer class '{name}': not one of the library's own. "
            + not_found(name, registered)
        )
    layer = cls.from_config(config)
    if "name" not in config and isinstance(spec.get("name"), str):
        # a get_config without the base keys (the guide's) loses the name; the graph keeps it
        layer.name = spec["name"]
    return layer
