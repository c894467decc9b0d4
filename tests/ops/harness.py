"""One harness for every primitive: float64 gradcheck, a slow reference, and torch."""

from __future__ import annotations

import importlib

import numpy as np

from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import peer


class _Lazy:
    """A module imported on first attribute use, so ``torch_fn`` lambdas can name ``torch`` in
    test modules that must still import when torch is missing (the harness then skips or fails
    visibly before calling them)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


torch = _Lazy("torch")


def check_op(
    our_fn,
    ref_fn,
    *inputs,
    torch_fn,
    atol=1e-6,
    rtol=1e-5,
    wrt=None,
    grad_atol=1e-6,
    grad_rtol=1e-4,
):
    """Checks ``our_fn`` (Tensors -> Tensor) forward against ``ref_fn`` (ndarrays -> ndarray),
    its backward by central differences, and forward+backward against ``torch_fn`` (torch
    tensors -> torch tensor).

    ``torch_fn`` is required: pass ``torch_fn=NO_TORCH_PEER`` only where torch has no such op
    (say why in a comment). Without torch installed the comparison skips (fails in CI) after
    the other two checks ran."""
    arrays = [np.asarray(a, dtype=np.float64) for a in inputs]
    ours = our_fn(*[Tensor(a.copy()) for a in arrays]).numpy()
    expected = np.asarray(ref_fn(*[a.copy() for a in arrays]), dtype=np.float64)
    np.testing.assert_allclose(ours, expected, atol=atol, rtol=rtol)
    assert gradcheck(our_fn, *arrays, wrt=wrt, atol=grad_atol, rtol=grad_rtol)
    if torch_fn is not NO_TORCH_PEER:
        _compare_torch(our_fn, torch_fn, arrays, wrt)


NO_TORCH_PEER = object()  # an explicit "torch has no counterpart", never a silent None


def _compare_torch(our_fn, torch_fn, arrays, wrt):
    peer("torch")
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
