"""Checking gradients: the float64 central-difference test every primitive passes."""

from __future__ import annotations

import numpy as np

from neuroflow.tensor import Tensor


def numerical_grad(fn, inputs, index: int, eps: float = 1e-6) -> np.ndarray:
    """d sum(fn(*inputs) * weights)/d inputs[index] by central differences (float64)."""
    x = inputs[index]
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = _scalar(fn, inputs)
        flat[i] = saved - eps
        minus = _scalar(fn, inputs)
        flat[i] = saved
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def _scalar(fn, arrays) -> float:
    out = fn(*[Tensor(a) for a in arrays])
    weights = _weights(out.shape)
    return float(np.sum(out.data * weights))


def _weights(shape) -> np.ndarray:
    # fixed, distinct weights so that every output element matters differently
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(1, n + 1, dtype=np.float64) / n).reshape(shape) if shape else np.array(1.0)


def gradcheck(
    fn, *inputs, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-4, wrt=None
) -> bool:
    """Compares ``fn``'s backward with central differences, in float64.

    Parameters
    ----------
    fn : callable
        Takes Tensors, returns a Tensor.
    *inputs : array_like
        Points at which to check; converted to float64.
    wrt : sequence of int, optional
        Which inputs to differentiate (all by default).

    Returns
    -------
    True; raises AssertionError naming the input and the worst element otherwise.

    Examples
    --------
    >>> from neuroflow import ops
    >>> gradcheck(ops.tanh, np.array([0.1, -0.5]))
    True
    """
    arrays = [np.array(a, dtype=np.float64) for a in inputs]
    wrt = range(len(arrays)) if wrt is None else wrt
    tensors = [Tensor(a.copy(), requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = fn(*tensors)
    if out.dtype != np.float64:
        raise AssertionError(f"fn returned {out.dtype}; gradcheck needs float64 throughout.")
    out.backward(_weights(out.shape))
    for i in wrt:
        analytic = tensors[i].grad
        if analytic is None:
            analytic = np.zeros_like(arrays[i])
        numeric = numerical_grad(fn, arrays, i, eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytic - numeric)), numeric.shape)
            raise AssertionError(
                f"Gradient of input {i} is wrong at {worst}: backward gave "
                f"{analytic[worst]:.8g}, central differences {numeric[worst]:.8g}."
            )
    return True
