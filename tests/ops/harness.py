"""One harness for every primitive: float64 gradcheck, a slow reference, and torch."""

from __future__ import annotations

import numpy as np

from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck


def check_op(
    our_fn,
    ref_fn,
    *inputs,
    torch_fn=None,
    atol=1e-6,
    rtol=1e-5,
    wrt=None,
    grad_atol=1e-6,
    grad_rtol=1e-4,
):
    """Checks ``our_fn`` (Tensors -> Tensor) forward against ``ref_fn`` (ndarrays -> ndarray),
    its backward by central differences, and forward+backward against ``torch_fn``."""
    arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
    ours = our_fn(*[Tensor(a.copy()) for a in arrays]).numpy()
    expected = np.asarray(ref_fn(*[a.copy() for a in arrays]), dtype=np.float64)
    np.testing.assert_allclose(ours, expected, atol=atol, rtol=rtol)
    assert gradcheck(our_fn, *arrays, wrt=wrt, atol=grad_atol, rtol=grad_rtol)
    if torch_fn is not None:
        _compare_torch(our_fn, torch_fn, arrays, wrt)


def _compare_torch(our_fn, torch_fn, arrays, wrt):
    import torch

    wrt = range(len(arrays)) if wrt is None else wrt
    ts = [torch.tensor(a, requires_grad=i in wrt) for i, a in enumerate(arrays)]
    t_out = torch_fn(*ts)
    weights = np.linspace(0.5, 1.5, t_out.numel()).reshape(tuple(t_out.shape))
    (t_out * torch.tensor(weights)).sum().backward()
    ours = [Tensor(a.copy(), requires_grad=i in wrt) for i, a in enumerate(arrays)]
    out = our_fn(*ours)
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=1e-8, rtol=1e-7)
    out.backward(weights)
    for i in wrt:
        np.testing.assert_allclose(ours[i].grad, ts[i].grad.numpy(), atol=1e-8, rtol=1e-6)
