"""Image preprocessing and augmentation layers, as Keras 3 has them (TensorFlow backend):
Resizing and CenterCrop (deterministic), and RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomContrast, RandomBrightness and RandomCrop (active while training).

Inputs are batched ``(batch, height, width, channels)`` or unbatched ``(height, width,
channels)`` images (channels first with ``data_format="channels_first"``). As in Keras 3, the
random layers augment inside ``fit`` and when called directly on data without ``training``
(their ``call`` defaults to ``training=True``), and pass images through in ``predict`` and
``evaluate`` or with ``training=False``. Each image of a batch gets its own draw (RandomCrop:
one window per batch, as Keras). Geometry is computed by :mod:`neuroflow.ops.image`, whose
sampling is TensorFlow's, so a transform with a pinned factor gives Keras's pixels; the draws
themselves come from NumPy, so they differ from Keras's for the same ``seed``.

The layers hold no weights. Their outputs are recorded on the tape (the transforms are
constant linear maps of the pixels), so gradients reach the layers before them.
"""

from __future__ import annotations

import math

import numpy as np

from neuroflow import backend, ops
from neuroflow.layers.base import Layer, call_context, check_data_format, check_positive_int
from neuroflow.layers.node import has_symbolic
from neuroflow.ops import image as image_ops
from neuroflow.ops.array import expand_dims, squeeze
from neuroflow.ops.shape import crop, pad
from neuroflow.tensor import Tensor

__all__ = [
    "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
    "RandomRotation", "RandomTranslation", "RandomZoom", "Resizing",
]  # fmt: skip

_F32 = np.float32
_FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _check_seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"Expected `seed` to be an int or None. Received: seed={seed!r}")
    return None if seed is None else int(seed)


def _check_option(layer: str, name: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(
            f"Invalid value for argument `{name}` of layer '{layer}': expected one of "
            f"{allowed}. Received: {name}={value!r}"
        )
    return value


def _factor_range(factor, bounds, name: str = "factor", message: str | None = None):
    """Keras's ``BaseImagePreprocessingLayer._set_factor``: a number ``f`` is
    ``(max(-|f|, low), |f|)``; a pair is sorted. Both must lie within ``bounds``."""
    low, high = bounds
    message = message or (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"[{low}, {high}]."
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(_is_number(f) for f in factor):
            raise ValueError(f"{message} Received: {name}={factor!r}")
        if factor[0] > high or factor[1] < low:
            raise ValueError(f"{message} Received: {name}={factor!r}")
        lower, upper = sorted(float(f) for f in factor)
        return lower, upper
    if not _is_number(factor) or not low <= factor <= high:
        raise ValueError(f"{message} Received: {name}={factor!r}")
    return max(-abs(float(factor)), low), abs(float(factor))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _geometry_factor(factor, name: str, low_open: bool):
    """RandomZoom's and RandomTranslation's ``_set_factor``: each end in ``(-1, 1]`` (zoom)
    or ``[-1, 1]`` (translation)."""
    interval = "(-1.0, 1.0]" if low_open else "[-1.0, 1.0]"
    message = (
        f"The `{name}` argument should be a number (or a list of two numbers) in the range "
        f"{interval}. Received: {name}={factor!r}"
    )
    values = list(factor) if isinstance(factor, (tuple, list)) else [factor]
    if len(values) not in (1, 2) or (isinstance(factor, (tuple, list)) and len(values) != 2):
        raise ValueError(message)
    for value in values:
        if not _is_number(value) or value > 1.0 or value < -1.0 or (low_open and value == -1.0):
            raise ValueError(message)
    if len(values) == 2:
        lower, upper = sorted(float(v) for v in values)
        return lower, upper
    return -abs(float(values[0])), abs(float(values[0]))


def _aspect_window(height: int, width: int, target_h: int, target_w: int):
    """Keras's ``smart_resize`` window: the largest centred crop of the target aspect ratio,
    as ``(top, left, crop_height, crop_width)``."""
    crop_h = max(min(height, int(float(width * target_h) / target_w)), 1)
    crop_w = max(min(width, int(float(height * target_w) / target_h)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def _window(x: Tensor, top: int, left: int, height: int, width: int) -> Tensor:
    """``x[:, top:top + height, left:left + width]`` (clipped to the image), on the tape."""
    _, h, w, _ = x.shape
    bottom, right = min(h, top + height), min(w, left + width)
    return crop(x, ((0, 0), (top, h - bottom), (left, w - right), (0, 0)))


def _smart_resize_plan(in_h: int, in_w: int, height: int, width: int, interpolation="bilinear"):
    """Keras's ``smart_resize``: the aspect-ratio window, resized."""
    return [("crop", *_aspect_window(in_h, in_w, height, width)),
            ("resize", height, width, interpolation)]  # fmt: skip


def _pad_border(x: Tensor, top: int, left: int, fill_value) -> Tensor:
    """``top`` rows above and below, ``left`` columns each side, of ``fill_value``."""
    widths = ((0, 0), (top, top), (left, left), (0, 0))
    padded = pad(x, widths)
    if fill_value:
        border = np.pad(np.zeros(x.shape, _F32), widths, constant_values=1)
        padded = ops.add(padded, Tensor(border * _F32(fill_value)))
    return padded


def _run_plan(x: Tensor, plan) -> Tensor:
    """The steps of an ``inference_plan`` (crops, pads, resizes) on channels-last images."""
    for kind, *args in plan:
        if kind == "crop":
            x = _window(x, *args)
        elif kind == "pad":
            x = _pad_border(x, *args)
        else:
            x = image_ops.resize(x, (args[0], args[1]), args[2])
    return x


class _ImageLayer(Layer):
    """Shared plumbing: rank 3 or 4 inputs, channels first or last, float32 outputs, and
    Keras 3's rule that a direct call on data augments (``call``'s default ``training``)."""

    _keeps_integer_dtype = False  # Resizing and RandomBrightness give uint8 back for uint8

    def __init__(self, data_format=None, **kwargs):
        kwargs.pop("bounding_box_format", None)  # written by Keras; boxes are not supported
        super().__init__(**kwargs)
        self.data_format = check_data_format(self.name, data_format)

    def __call__(self, inputs=None, *args, training=None, **kwargs):
        symbolic = has_symbolic(inputs)
        dtype = getattr(inputs, "dtype", None)
        outputs = super().__call__(inputs, *args, training=training, **kwargs)
        if self._keeps_integer_dtype and not symbolic and np.dtype(dtype or _F32).kind in "iu":
            info = np.iinfo(dtype)
            values = np.clip(np.round(outputs.numpy()), info.min, info.max)
            return Tensor._from_op(values.astype(dtype), None)  # Tensor() would make floats
        return outputs

    def call(self, inputs, training=True):
        x = inputs
        if x.ndim not in (3, 4):
            raise ValueError(
                f"Layer '{self.name}' expects images of rank 3 (one image) or 4 (a batch). "
                f"Received: inputs.shape={tuple(x.shape)}"
            )
        if x.dtype != np.dtype(self.compute_dtype):
            x = ops.cast(x, self.compute_dtype)
        unbatched = x.ndim == 3
        if unbatched:
            x = expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        x = self._transform(x, self._augments(training))
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return squeeze(x, 0) if unbatched else x

    @staticmethod
    def _augments(training) -> bool:
        """Keras 3's rule: ``training`` resolves to ``call``'s default, True, unless it was
        given to this call or to one around it. A direct call, ``model(x)`` and
        ``data_augmentation(images)`` augment; ``fit`` augments; ``predict``, ``evaluate``
        and ``model(x, training=False)`` do not. (The graph hands its layers the outer
        call's flag, False when none was given, so the outermost call's is what counts.)"""
        return bool(training) or call_context.unspecified and call_context.training is False

    def _transform(self, images: Tensor, training: bool) -> Tensor:
        """The layer's work on channels-last float32 images of rank 4."""
        raise NotImplementedError

    def _output_size(self, height, width):
        return height, width

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        h_axis = len(shape) - (2 if self.data_format == "channels_first" else 3)
        shape[h_axis], shape[h_axis + 1] = self._output_size(shape[h_axis], shape[h_axis + 1])
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class _RandomImageLayer(_ImageLayer):
    """An augmentation: its own generator when ``seed`` is given, the library's otherwise."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.seed = _check_seed(seed)
        self._rng = np.random.default_rng(self.seed) if self.seed is not None else None

    def _generator(self) -> np.random.Generator:
        return self._rng or backend.rng()

    def _uniform(self, low, high, size) -> np.ndarray:
        draws = self._generator().random(size, dtype=np.float32)
        return (_F32(low) + (_F32(high) - _F32(low)) * draws).astype(_F32)


class Resizing(_ImageLayer):
    """Resizes images to ``(height, width)``, as ``tf.image.resize`` (half-pixel centres).

    With ``crop_to_aspect_ratio=True`` the largest centred window of the target aspect ratio
    is resized; with ``pad_to_aspect_ratio=True`` the image is first padded evenly with
    ``fill_value`` on its short side. Integer images come back rounded, in their dtype.

    Input shape: ``(batch, height, width, channels)`` or ``(height, width, channels)``
    (channels first with ``data_format="channels_first"``). Output shape: the same with the
    target height and width.

    Parameters
    ----------
    height, width : int
    interpolation : {"bilinear", "nearest", "bicubic"}, default "bilinear"
    crop_to_aspect_ratio, pad_to_aspect_ratio : bool, default False
    fill_mode : "constant"
    fill_value : float, default 0.0
    antialias : False
        Accepted for Keras's signature; antialiased downsampling is not implemented.
    data_format : {"channels_last", "channels_first"}, optional

    Examples
    --------
    >>> Resizing(1, 2)(np.array([[[0.0], [2.0], [4.0], [6.0]]])).numpy().ravel()
    array([1., 5.], dtype=float32)
    """

    _keeps_integer_dtype = True

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):  # fmt: skip
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_positive_int(self.name, "height", height)
        self.width = check_positive_int(self.name, "width", width)
        self.interpolation = _check_option(
            self.name, "interpolation", interpolation, image_ops.RESIZE_INTERPOLATIONS
        )
        self.fill_mode = _check_option(self.name, "fill_mode", fill_mode, ("constant",))
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`. "
                f"Received: crop_to_aspect_ratio={crop_to_aspect_ratio!r}, "
                f"pad_to_aspect_ratio={pad_to_aspect_ratio!r}"
            )
        if antialias:
            raise ValueError(
                f"Layer '{self.name}': `antialias=True` is not supported by neuroflow. "
                f"Received: antialias={antialias!r}"
            )
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_value = fill_value
        self.antialias = False

    def _transform(self, images, training):
        return _run_plan(images, self.inference_plan(images.shape[1], images.shape[2]))

    def inference_plan(self, height: int, width: int) -> list:
        """The layer's work on ``(height, width)`` images as steps ``("crop", top, left,
        height, width)``, ``("pad", rows, columns, fill_value)`` (on both sides) and
        ``("resize", height, width, interpolation)``; the ONNX exporter reads them too."""
        if self.crop_to_aspect_ratio:
            return _smart_resize_plan(height, width, self.height, self.width, self.interpolation)
        plan = []
        if self.pad_to_aspect_ratio:  # the TensorFlow backend's: (padded - size) // 2 each side
            pad_h = max(height, int(float(width * self.height) / self.width))
            pad_w = max(width, int(float(height * self.width) / self.height))
            top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
            if top or left:
                plan.append(("pad", top, left, self.fill_value))
        return [*plan, ("resize", self.height, self.width, self.interpolation)]

    def _output_size(self, height, width):
        return self.height, self.width

    def get_config(self):
        return {
            **super().get_config(), "height": self.height, "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
            "fill_value": self.fill_value, "antialias": self.antialias,
        }  # fmt: skip


class CenterCrop(_ImageLayer):
    """Crops the central ``(height, width)`` window of each image; an image smaller than
    that is resized instead (the largest centred window of the target aspect ratio, bilinear),
    as Keras does.

    Input shape: ``(batch, height, width, channels)`` or unbatched; channels first with
    ``data_format="channels_first"``. Output shape: the target height and width.

    Examples
    --------
    >>> CenterCrop(1, 1)(np.arange(9.0).reshape(1, 3, 3, 1)).numpy().ravel()
    array([4.], dtype=float32)
    """

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = check_positive_int(self.name, "height", height)
        self.width = check_positive_int(self.name, "width", width)

    def _transform(self, images, training):
        return _run_plan(images, self.inference_plan(images.shape[1], images.shape[2]))

    def inference_plan(self, height: int, width: int) -> list:
        """Steps as :meth:`Resizing.inference_plan`'s."""
        h_diff, w_diff = height - self.height, width - self.width
        if h_diff >= 0 and w_diff >= 0:
            return [("crop", h_diff // 2, w_diff // 2, self.height, self.width)]
        return _smart_resize_plan(height, width, self.height, self.width)

    def _output_size(self, height, width):
        return self.height, self.width

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class RandomFlip(_RandomImageLayer):
    """Flips each image left-right and/or top-bottom with probability 1/2 while training.

    ``mode`` is ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``; in the
    last, as in Keras 3, one draw decides both flips (an image is turned by 180 degrees or
    left as it is). Input and output shapes are the same.

    Examples
    --------
    >>> x = np.arange(3.0).reshape(1, 1, 3, 1)
    >>> RandomFlip("horizontal")(x, training=False).numpy().ravel()
    array([0., 1., 2.], dtype=float32)
    >>> outs = {tuple(RandomFlip("horizontal", seed=s)(x).numpy().ravel().tolist())
    ...         for s in range(8)}
    >>> sorted(outs)
    [(0.0, 1.0, 2.0), (2.0, 1.0, 0.0)]
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = _check_option(self.name, "mode", mode, _FLIP_MODES)

    def _transform(self, images, training):
        if not training:
            return images
        n, h, w, _ = images.shape
        flips = self._uniform(0.0, 1.0, n) <= 0.5
        if not flips.any():
            return images
        pixels = np.arange(h * w).reshape(h, w)
        flipped = pixels
        if self.mode != "vertical":
            flipped = flipped[:, ::-1]
        if self.mode != "horizontal":
            flipped = flipped[::-1]
        index = np.where(flips[:, None], flipped.ravel(), pixels.ravel())[:, None]
        return image_ops.sample_images(images, index, np.ones(index.shape, _F32))

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "mode": self.mode}


class _AffineLayer(_RandomImageLayer):
    """Rotation, zoom and translation: one affine transform per image, sampled as
    TensorFlow's ``ImageProjectiveTransformV3`` with Keras's fill modes."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = _check_option(self.name, "fill_mode", fill_mode, image_ops.FILL_MODES)
        self.interpolation = _check_option(
            self.name, "interpolation", interpolation, ("nearest", "bilinear")
        )
        if not _is_number(fill_value):
            raise TypeError(f"Expected `fill_value` to be a number. Received: {fill_value!r}")
        self.fill_value = fill_value

    def _transform(self, images, training):
        if not training:
            return images
        n, h, w, _ = images.shape
        matrices = self._matrices(n, h, w)
        return image_ops.affine_transform(
            images, matrices, self.interpolation, self.fill_mode, self.fill_value
        )

    def _matrices(self, n: int, height: int, width: int) -> np.ndarray:
        """One ``[a0, a1, a2, b0, b1, b2, c0, c1]`` per image, drawn afresh."""
        raise NotImplementedError

    def get_config(self):
        return {
            **super().get_config(), "fill_mode": self.fill_mode, "fill_value": self.fill_value,
            "interpolation": self.interpolation, "seed": self.seed,
        }  # fmt: skip


class RandomRotation(_AffineLayer):
    """Rotates each image by a random angle while training, about its centre.

    ``factor`` is a fraction of a full turn: ``0.1`` draws angles in [-36, 36] degrees and
    ``(lo, hi)`` in ``[lo * 360, hi * 360]``; positive angles turn counter-clockwise. Points
    from outside the image are filled by ``fill_mode`` (``"reflect"``, ``"wrap"``,
    ``"constant"`` with ``fill_value``, or ``"nearest"``). Input and output shapes are the same.

    Examples
    --------
    >>> x = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> out = RandomRotation((0.25, 0.25))(x).numpy()[0, :, :, 0]  # a quarter turn left
    >>> np.round(out, 4)
    array([[1., 3.],
           [0., 2.]], dtype=float32)
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _factor_range(factor, (-1, 1))

    def _matrices(self, n, height, width):
        angle = self._uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, n)
        angle = angle * _F32(math.pi / 180.0)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = _F32(0.5) * _F32(width - 1), _F32(0.5) * _F32(height - 1)
        zeros = np.zeros(n, _F32)
        a2 = cx - cx * cos - cy * -sin
        b2 = cy - cx * sin - cy * cos
        return np.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineLayer):
    """Zooms each image in or out by a random amount while training, about its centre.

    ``height_factor`` ``f`` draws a vertical zoom ``1 + z`` with ``z`` in ``[-f, f]`` (or in
    ``(lo, hi)``): positive values zoom out (the image shrinks), negative values zoom in;
    each value in ``(-1, 1]``. ``width_factor`` does the same horizontally; when None the
    vertical zoom is used for both (aspect ratio kept). Fill modes as RandomRotation's.

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> RandomZoom((-0.5, -0.5), interpolation="nearest")(x).numpy()[0, :, :, 0]  # zoom in
    array([[4., 4., 5.],
           [4., 4., 5.],
           [7., 7., 8.]], dtype=float32)
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_lower, self.height_upper = _geometry_factor(
            height_factor, "height_factor", low_open=True
        )
        self.height_factor = height_factor
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _geometry_factor(
                width_factor, "width_factor", low_open=True
            )

    def _matrices(self, n, height, width):
        zoom_h = self._uniform(1.0 + self.height_lower, 1.0 + self.height_upper, n)
        zoom_w = zoom_h
        if self.width_factor is not None:
            zoom_w = self._uniform(1.0 + self.width_lower, 1.0 + self.width_upper, n)
        x_offset = ((_F32(width) - _F32(1)) / _F32(2)) * (_F32(1) - zoom_w)
        y_offset = ((_F32(height) - _F32(1)) / _F32(2)) * (_F32(1) - zoom_h)
        zeros = np.zeros(n, _F32)
        return np.stack([zoom_w, zeros, x_offset, zeros, zoom_h, y_offset, zeros, zeros], 1)

    def get_config(self):
        return {
            **super().get_config(), "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }  # fmt: skip


class RandomTranslation(_AffineLayer):
    """Shifts each image by a random fraction of its size while training.

    ``height_factor`` ``f`` (or ``(lo, hi)``) draws a vertical shift in ``[-f, f]`` times
    the height, positive downwards; ``width_factor`` likewise horizontally, positive to the
    right. Each value in ``[-1, 1]``. Fill modes as RandomRotation's.

    Examples
    --------
    >>> x = np.arange(1.0, 4.0).reshape(1, 1, 3, 1)
    >>> layer = RandomTranslation(0, (1 / 3, 1 / 3), fill_mode="constant")
    >>> layer(x).numpy().ravel()
    array([0., 1., 2.], dtype=float32)
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_lower, self.height_upper = _geometry_factor(
            height_factor, "height_factor", low_open=False
        )
        self.width_lower, self.width_upper = _geometry_factor(
            width_factor, "width_factor", low_open=False
        )
        self.height_factor, self.width_factor = height_factor, width_factor

    def _matrices(self, n, height, width):
        dy = self._uniform(self.height_lower, self.height_upper, n) * _F32(height)
        dx = self._uniform(self.width_lower, self.width_upper, n) * _F32(width)
        ones, zeros = np.ones(n, _F32), np.zeros(n, _F32)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)

    def get_config(self):
        return {
            **super().get_config(), "height_factor": self.height_factor,
            "width_factor": self.width_factor,
        }  # fmt: skip


def _value_range(value_range):
    if (
        not isinstance(value_range, (tuple, list))
        or len(value_range) != 2
        or not all(_is_number(v) for v in value_range)
    ):
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range!r}"
        )
    return value_range


class RandomContrast(_RandomImageLayer):
    """Scales each image's contrast by a random factor while training:
    ``(x - mean) * c + mean`` per channel (mean over the pixels), clipped to ``value_range``.

    As Keras 3 computes it, ``factor`` ``f`` gives ``c`` in ``[1 - max(-f, 0), 1 + f]`` and
    a pair ``(lo, hi)`` gives ``c`` in ``[1 - lo, 1 + hi]``: ``RandomContrast(0.2)`` only
    raises contrast (``c`` in [1, 1.2]), ``RandomContrast((-0.5, 0.5))`` always uses 1.5.

    Examples
    --------
    >>> x = np.array([[[[0.0], [100.0]]]])
    >>> RandomContrast((-0.5, 0.5))(x).numpy().ravel()
    array([  0., 125.], dtype=float32)
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range(factor, (0, 1))
        self.value_range = _value_range(value_range)

    def _transform(self, images, training):
        if not training:
            return images
        contrast = self._uniform(1.0 - self.factor[0], 1.0 + self.factor[1], images.shape[0])
        mean = ops.mean(ops.mean(images, axis=1, keepdims=True), axis=2, keepdims=True)
        scaled = ops.mul(ops.sub(images, mean), Tensor(contrast[:, None, None, None]))
        low, high = self.value_range
        return ops.clip_by_value(ops.add(scaled, mean), _F32(low), _F32(high))

    def get_config(self):
        return {
            **super().get_config(), "factor": self.factor, "value_range": self.value_range,
            "seed": self.seed,
        }  # fmt: skip


class RandomBrightness(_RandomImageLayer):
    """Adds a random brightness shift to each image while training: ``x + d`` with ``d``
    drawn in ``factor`` times the width of ``value_range``, clipped to ``value_range``.

    ``factor`` ``f`` in [-1, 1] draws in ``[-|f|, |f|]``, a pair ``(lo, hi)`` in it.
    Integer images come back in their dtype.

    Examples
    --------
    >>> RandomBrightness((0.1, 0.1))(np.full((1, 1, 1, 1), 250.0)).numpy().ravel()
    array([255.], dtype=float32)
    """

    _keeps_integer_dtype = True

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = _factor_range(factor, (-1, 1))
        self.value_range = sorted(_value_range(value_range))

    def _transform(self, images, training):
        if not training:
            return images
        low, high = self.value_range
        delta = self._uniform(self.factor[0], self.factor[1], images.shape[0]) * _F32(high - low)
        shifted = ops.add(images, Tensor(delta[:, None, None, None]))
        return ops.clip_by_value(shifted, _F32(low), _F32(high))

    def get_config(self):
        return {
            **super().get_config(), "factor": self.factor, "value_range": self.value_range,
            "seed": self.seed,
        }  # fmt: skip


class RandomCrop(_RandomImageLayer):
    """Crops a random ``(height, width)`` window while training (one window for the whole
    batch, as Keras draws it).

    At inference, and while training on images not larger than the target, it does what the
    Keras documentation says: the largest centred window of the target aspect ratio, resized
    (bilinear) to ``(height, width)``. (Keras 3.15's code returns inference inputs unchanged,
    which disagrees with its own output shape.)

    Examples
    --------
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> RandomCrop(2, 2)(x, training=False).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    >>> RandomCrop(2, 2, seed=0)(x).numpy().shape
    (1, 2, 2, 1)
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        if seed is None:  # Keras draws a default seed, which its config then records
            seed = int(backend.rng().integers(2**24))  # within what saved configs accept
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = check_positive_int(self.name, "height", height)
        self.width = check_positive_int(self.name, "width", width)

    def _transform(self, images, training):
        _, h, w, _ = images.shape
        if not training:
            return _run_plan(images, self.inference_plan(h, w))
        if h > self.height and w > self.width:
            top = int(self._uniform(0, h - self.height + 1, ())[()])
            left = int(self._uniform(0, w - self.width + 1, ())[()])
        else:  # Keras: the aspect-ratio window's corner, then a resize if the size is off
            top, left, _, _ = _aspect_window(h, w, self.height, self.width)
        out = _window(images, top, left, self.height, self.width)
        if out.shape[1:3] != (self.height, self.width):
            out = image_ops.resize(out, (self.height, self.width))
        return out

    def inference_plan(self, height: int, width: int) -> list:
        """Steps as :meth:`Resizing.inference_plan`'s: what the layer does at inference."""
        return _smart_resize_plan(height, width, self.height, self.width)

    def _output_size(self, height, width):
        return self.height, self.width

    def get_config(self):
        return {
            **super().get_config(), "height": self.height, "width": self.width,
            "seed": self.seed,
        }  # fmt: skip
