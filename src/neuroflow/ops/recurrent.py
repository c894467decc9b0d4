"""Fused recurrent primitives: a whole SimpleRNN, LSTM or GRU layer call as one tape node.

Each primitive runs the layer over every timestep with Keras 3's math, gate order and weight
shapes (LSTM gates ``i, f, c, o``; GRU gates ``z, r, h``, its bias ``(2, 3 * units)`` when
``reset_after``) and its own backward-through-time, so the tape holds one node per layer call
instead of a dozen per timestep. The readable reference they are tested against is the
step-by-step loop in ``tests/ops/test_recurrent.py`` (one cell step in NumPy, Keras's masking
rules), and PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with the weights mapped across.

How it is fast (the time loop is the only Python loop, and it does little per step):

- SimpleRNN and GRU project the inputs of all timesteps, ``x @ kernel + bias``, in one
  (stacked) product before the loop, and only the small recurrent product runs per step; the
  LSTM runs one product per step over a buffer that stacks ``[x_t; 1; h_{t-1}]`` (the same
  multiply-adds, one pass fewer over the gates, and one product for all weight gradients);
- every per-step array is ``(features, batch)``, stacked as ``(time, features, batch)`` in
  processing order (reversed for ``go_backwards``), so a gate or a state is one contiguous
  block (NumPy's elementwise loops are several times slower on strided column blocks); the
  buffers come from a bounded pool (the arrays backward reads go back to it when the node is
  freed, backward's scratch when it returns), so a training step reuses memory it touched
  before instead of faulting in fresh pages, and are written with ``out=``;
- the sigmoid gates are contiguous (the LSTM runs internally in the order ``o, i, f, c``) and
  their rows of the weights are pre-scaled by 1/2, so ``sigmoid(a) = tanh(a / 2) / 2 + 1/2``
  costs one ``tanh`` over all the gates at once plus two in-place operations;
- the LSTM's backward computes every factor that does not depend on the carried gradients
  for all steps at once, leaving five small operations and one product per step;
- backward saves only activation outputs (every fast activation's derivative is a function of
  its output) and leaves the gradients of the weights (and, except in the LSTM, of the input)
  to a few large products after the loop; outputs are written, and their gradients read, per
  step while they are in cache.

The three (or two) results come out of one :class:`~neuroflow.tensor.Function` whose output
packs them as ``(batch, timesteps + 2, units)`` (outputs, final ``h``, final ``c``), sliced by
:class:`_Take`.
"""

from __future__ import annotations

import threading
import weakref

import numpy as np

from neuroflow import threads
from neuroflow.ops.math import as_tensor
from neuroflow.tensor import Function, Tensor

__all__ = ["FAST_ACTIVATIONS", "gru", "lstm", "simple_rnn"]

FAST_ACTIVATIONS = frozenset({"tanh", "sigmoid", "relu", "linear", "hard_sigmoid"})
"""Activation names the fused primitives run; a layer with any other runs its cell per step."""


# ------------------------------------------------------------------ activations on arrays


def _activate(name: str, a: np.ndarray, halved: bool = False) -> None:
    """Applies activation ``name`` to ``a`` in place; ``halved``: ``a`` holds x/2 (sigmoid)."""
    if name == "tanh":
        np.tanh(a, out=a)
    elif name == "sigmoid":
        if not halved:
            a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
    elif name == "relu":
        np.maximum(a, 0, out=a)
    elif name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        a *= 1 / 6
        a += 0.5
        np.clip(a, 0, 1, out=a)
    # "linear": nothing to do


def _derivative(name: str, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d activation / d pre-activation into ``out``, from the activation's output ``y``."""
    if name == "tanh":
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
    elif name == "sigmoid":
        np.subtract(1, y, out=out)
        out *= y
    elif name == "relu":  # 0 at the kink, as TensorFlow's
        np.greater(y, 0, out=out)
    elif name == "hard_sigmoid":  # 1/6 strictly inside the clipped range
        np.greater(y, 0, out=out)
        out *= y < 1
        out *= 1 / 6
    else:  # linear
        out.fill(1)
    return out


# ------------------------------------------------------------------ scratch buffers
#
# Arrays that live only within one backward call come from a small pool, so that a training
# step reuses memory it has touched before instead of faulting in fresh pages every call.

_POOL: dict = {}
_POOL_BYTES = [0]
_POOL_LIMIT = 1 << 28
"""Bytes of scratch buffers the pool keeps at most (the oldest shapes go first)."""
_POOL_LOCK = threading.RLock()  # reentrant: a finalizer may release while a thread takes


def _scratch(shape: tuple, dtype) -> np.ndarray:
    """An uninitialised array, from the pool when one of that shape and dtype is free."""
    key = (shape, np.dtype(dtype))
    with _POOL_LOCK:
        free = _POOL.get(key)
        if free:
            a = free.pop()
            _POOL_BYTES[0] -= a.nbytes
            return a
    return np.empty(shape, dtype)


_LENT = weakref.WeakValueDictionary()  # id -> gradient array a _Take lent from the pool


def _give_back(grad: np.ndarray) -> None:
    """Releases a primitive's incoming gradient once read, if a :class:`_Take` lent it (the
    tape hands a lone gradient over as is; a sum of several is a new array, not lent)."""
    if _LENT.get(id(grad)) is grad:
        del _LENT[id(grad)]
        _release(grad)


def _release(*arrays: np.ndarray) -> None:
    """Gives scratch arrays back to the pool (the caller keeps no view of them)."""
    with _POOL_LOCK:
        for a in arrays:
            if a.nbytes > _POOL_LIMIT:
                continue
            while _POOL_BYTES[0] + a.nbytes > _POOL_LIMIT and _POOL:
                for old in _POOL.pop(next(iter(_POOL)), ()):
                    _POOL_BYTES[0] -= old.nbytes
            key = (a.shape, a.dtype)
            _POOL[key] = _POOL.pop(key, [])  # most recently used last
            _POOL[key].append(a)
            _POOL_BYTES[0] += a.nbytes


# ------------------------------------------------------------------ shared plumbing
#
# Layout: every per-step array is (features, batch), stacked over time as (T, features, batch)
# in processing order, so that a gate, a state or a step is one contiguous block: NumPy's
# elementwise loops run several times slower on strided (batch, units) column blocks.


def _feature_major(x: np.ndarray, go_backwards: bool, out: np.ndarray) -> np.ndarray:
    """(batch, T, F) -> (T, F, batch) in processing order, written into ``out``."""
    x = x.transpose(1, 2, 0)
    out[...] = x[::-1] if go_backwards else x
    return out


def _batch_major(d: np.ndarray, go_backwards: bool) -> np.ndarray:
    """The inverse of :func:`_feature_major` (for the input gradient), as a new array."""
    d = d.transpose(2, 0, 1)
    out = np.empty(d.shape, d.dtype)
    out[...] = d[:, ::-1] if go_backwards else d
    return out


class _Masks:
    """A Keras mask ``(batch, T)`` in processing order, as the loop uses it: (T, 1, batch)."""

    def __init__(self, mask: np.ndarray | None, go_backwards: bool, zero_output: bool, dtype):
        self.any = mask is not None and not mask.all()
        if not self.any:
            self.partial = None
            return
        m = mask.T[::-1] if go_backwards else mask.T  # (T, batch)
        self.partial = ~m.all(axis=1)  # steps where some row is masked
        self.invalid = ~m[:, None, :]  # where=... for np.copyto
        self.keep = m[:, None, :].astype(dtype)
        self.drop = self.invalid.astype(dtype)
        # outputs = states * factor: at a masked step the output is the previous output, which
        # is the carried state once a step was valid, zeros before (TensorFlow's backend), or
        # zeros at every masked step with zero_output_for_mask
        seen = m if zero_output else np.logical_or.accumulate(m, axis=0)
        self.factor = seen[:, None, :].astype(dtype)


def _project(x_fm: np.ndarray, kernel: np.ndarray, bias, out: np.ndarray) -> np.ndarray:
    """``x @ kernel + bias`` for all timesteps in one (stacked) product into ``out``:
    (T, G, batch)."""
    threads.matmul(np.ascontiguousarray(kernel.T), x_fm, out=out)
    if bias is not None:
        out += bias[:, None]
    return out


def _step_grad(grad: np.ndarray, s: int, dh: np.ndarray, out: np.ndarray, masks: _Masks):
    """d state_s: the carried ``dh`` plus d outputs[:, s] (its share through the mask)."""
    if masks.any:
        np.multiply(grad[:, s].T, masks.factor[s], out=out)
        out += dh
    else:
        np.add(dh, grad[:, s].T, out=out)
    return out


def _final_grads(grad: np.ndarray, n_states: int) -> list:
    """d final states as (units, batch) arrays of their own (the loop updates them)."""
    t = grad.shape[1] - n_states
    return [grad[:, t + k].T.copy() for k in range(n_states)]


def _outer_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over steps of a_s b_s^T for (T, m, batch), (T, n, batch): the weight gradient."""
    per_step = _scratch((a.shape[0], a.shape[1], b.shape[1]), np.result_type(a, b))
    threads.matmul(a, b.transpose(0, 2, 1), out=per_step)
    total = per_step.sum(axis=0)
    _release(per_step)
    return total


def _input_grads(self, d_pre: np.ndarray, kernel: np.ndarray):
    """(dx, dkernel, dbias) from d(pre-activations) (T, G, batch) of ``x @ kernel + bias``."""
    dx = dk = db = None
    if self.needs_input_grad[0]:
        t, _, b = d_pre.shape
        d_x = _scratch((t, kernel.shape[0], b), d_pre.dtype)
        dx = _batch_major(threads.matmul(kernel, d_pre, out=d_x), self.go_backwards)
        _release(d_x)
    if self.needs_input_grad[1]:
        dk = _outer_sum(self.x_fm, d_pre)
    if self.has_bias and self.needs_input_grad[3]:
        db = d_pre.sum(axis=(0, 2))
    return dx, dk, db


def _masked_step_begin(masks: _Masks, s: int, d_states: list, carries: list) -> None:
    """At a step with masked rows: the part of each state gradient that skips the step."""
    for d, carry in zip(d_states, carries):
        np.multiply(d, masks.drop[s], out=carry)
        d *= masks.keep[s]


def _results(self, dx, dk, drk, db, d_states) -> tuple:
    """The gradient tuple in argument order, each in its input's dtype."""
    grads = [dx, dk, drk] + ([db] if self.has_bias else []) + [d.T for d in d_states]
    return tuple(
        None if (g is None or not need) else g.astype(dtype, copy=False)
        for g, need, dtype in zip(grads, self.needs_input_grad, self.dtypes)
    )


class _Recurrent(Function):
    """Argument handling shared by the three primitives: positional tensors ``x, kernel,
    recurrent_kernel, [bias], h0, [c0]``; keyword constants as in :func:`lstm`."""

    def setup(
        self, arrays, has_bias, mask, go_backwards, zero_output_for_mask, recurrent_mask,
        feature_major=True,
    ):  # fmt: skip
        """Saves the common arguments; returns the initial states as (units, batch).
        ``feature_major``: also keep the input as (T, F, batch) in ``self.x_fm``."""
        self.dtypes = [a.dtype for a in arrays]
        dtype = np.result_type(*arrays)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        x, kernel, rkernel = arrays[:3]
        self.has_bias, self.go_backwards = has_bias, go_backwards
        self.kernel, self.rkernel = kernel, rkernel
        self.bias = arrays[3] if has_bias else None
        self.steps, self.batch = x.shape[1], x.shape[0]
        self.pooled = []
        if feature_major:
            shape = (x.shape[1], x.shape[2], x.shape[0])
            self.x_fm = _feature_major(x, go_backwards, self.buffer(shape, dtype))
        else:
            self.x = x
        self.masks = _Masks(mask, go_backwards, zero_output_for_mask, dtype)
        self.rmask = None if recurrent_mask is None else recurrent_mask.T.astype(dtype)
        self.step_work = x.shape[0] * rkernel.shape[0] * rkernel.shape[1]
        return [s.T for s in arrays[3 + has_bias :]]

    def buffer(self, shape: tuple, dtype) -> np.ndarray:
        """An array that backward reads: from the scratch pool, and back to it when this
        node is freed (so a training step reuses the memory of the previous one)."""
        a = _scratch(shape, dtype)
        self.pooled.append(a)
        return a

    def loop_threads(self) -> None:
        """Sets the BLAS threads for the per-step products (the loop calls np.matmul)."""
        threads.before_product(self.step_work)

    def recurrent_input(self, h_prev, s, hm_all):
        """h_{t-1} as it enters the recurrent product (times the recurrent dropout mask)."""
        if self.rmask is None:
            return h_prev
        return np.multiply(h_prev, self.rmask, out=hm_all[s])

    def output_buffer(self, n_states: int, dtype) -> np.ndarray:
        """The packed output (batch, T + n_states, units) that the loop writes step by step."""
        t, b = self.steps, self.batch
        self.out = np.empty((b, t + n_states, self.rkernel.shape[0]), dtype)
        return self.out

    def emit(self, h, s) -> None:
        """Writes step ``s``'s output (the state ``h``, through the mask) while ``h`` is hot."""
        if self.masks.any:
            np.multiply(h.T, self.masks.factor[s].T, out=self.out[:, s])
        else:
            np.copyto(self.out[:, s], h.T)

    def finish(self, finals) -> np.ndarray:
        t = self.steps
        for k, final in enumerate(finals):
            self.out[:, t + k] = final.T
        if self.pooled:
            weakref.finalize(self, _release, *self.pooled).atexit = False
            self.pooled = None
        out, self.out = self.out, None  # backward needs only its shape
        return out

    def state_buffer(self, initial):
        """(T + 1, units, batch) for the states after each step, the initial one first."""
        t, b = self.steps, self.batch
        buffer = self.buffer((t + 1, initial.shape[0], b), initial.dtype)
        buffer[0] = initial
        return buffer


# ------------------------------------------------------------------ SimpleRNN


class SimpleRNN(_Recurrent):
    """``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`` over time."""

    def forward(self, x, kernel, rkernel, *rest, has_bias, activation, **kw):
        (h0,) = self.setup((x, kernel, rkernel, *rest), has_bias, **kw)
        self.activation = activation
        rk_t = np.ascontiguousarray(self.rkernel.T)
        t, u, b = self.steps, rk_t.shape[0], self.batch
        pre = _project(self.x_fm, self.kernel, self.bias, _scratch((t, u, b), h0.dtype))
        states = self.states = self.state_buffer(h0)
        self.hm = self.buffer(pre.shape, pre.dtype) if self.rmask is not None else None
        masks = self.masks
        self.output_buffer(1, pre.dtype)
        self.loop_threads()
        for s in range(pre.shape[0]):
            h = states[s + 1]
            np.matmul(rk_t, self.recurrent_input(states[s], s, self.hm), out=h)
            h += pre[s]
            _activate(activation, h)
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
            self.emit(h, s)
        _release(pre)
        return self.finish([states[-1]])

    def backward(self, grad):
        states, masks, rmask, rk = self.states, self.masks, self.rmask, self.rkernel
        t = states.shape[0] - 1
        (dh,) = _final_grads(grad, 1)
        d_pre = _scratch(states[1:].shape, states.dtype)
        dhs, carry = np.empty_like(dh), np.empty_like(dh)
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            _step_grad(grad, s, dh, dhs, masks)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs], [carry])
            d = _derivative(self.activation, states[s + 1], out=d_pre[s])
            d *= dhs
            np.matmul(rk, d, out=dh)
            if rmask is not None:
                dh *= rmask
            if masked:
                dh += carry
        hm = states[:t] if rmask is None else self.hm
        drk = _outer_sum(hm, d_pre) if self.needs_input_grad[2] else None
        dx, dk, db = _input_grads(self, d_pre, self.kernel)
        _release(d_pre)
        _give_back(grad)
        return _results(self, dx, dk, drk, db, [dh])


# ------------------------------------------------------------------ LSTM


def _lstm_order(u: int) -> np.ndarray:
    """Columns of Keras's ``i, f, c, o`` in the internal order ``o, i, f, c``."""
    return np.r_[3 * u : 4 * u, 0 : 3 * u]


class LSTM(_Recurrent):
    """Keras's LSTM cell over time: ``i, f, o = rec_act(.)``, ``c = f c + i act(.)``,
    ``h = o act(c)``.

    Each step is one product ``[kernel; bias; recurrent_kernel]^T @ [x_t; 1; h_{t-1}]`` over a
    buffer that stacks the inputs, a row of ones and the states per step, so the input
    projection needs no separate pass over the gates, and backward gets the gradients of
    every weight from one product over that buffer and the input's gradient from the same
    per-step product that carries the state's.
    """

    def forward(self, x, kernel, rkernel, *rest, has_bias, activation, recurrent_activation, **kw):
        h0, c0 = self.setup((x, kernel, rkernel, *rest), has_bias, feature_major=False, **kw)
        act, rec = self.activation, self.recurrent_activation = activation, recurrent_activation
        b, t, f = self.x.shape
        u = rkernel.shape[0]
        u2, u3 = 2 * u, 3 * u
        order = _lstm_order(u)
        # the sigmoid gates' rows pre-scaled by 1/2 (see the module docstring)
        scale = np.ones(4 * u, h0.dtype)
        halved = rec == "sigmoid"
        if halved:
            scale[:u3] = 0.5
        fused = halved and act == "tanh"  # one tanh over all four gates
        weights = self.stacked_weights(order)
        weights_t = np.ascontiguousarray((weights * scale).T)
        # per step [x_t; 1; h_{t-1}] (h_{t-1} * recurrent_mask with one)
        h_row = f + has_bias
        # the arrays backward reads come from the scratch pool and go back to it when this
        # node is freed (a training step reuses the memory of the previous one)
        dtype = h0.dtype
        xh = self.xh = self.buffer((t + 1, h_row + u, b), dtype)
        x_tfb = self.x.transpose(1, 2, 0)
        xh[:t, :f] = x_tfb[::-1] if self.go_backwards else x_tfb
        xh[t, :h_row] = 0
        if has_bias:
            xh[:, f] = 1
        if self.rmask is None:
            states = self.states = xh[:, h_row:]
        else:
            states = self.states = self.buffer((t + 1, u, b), dtype)
        states[0] = h0
        cells = self.cells = self.state_buffer(c0)
        gates = self.gates = self.buffer((t, 4 * u, b), dtype)
        act_c = self.act_c = self.buffer((t, u, b), dtype)
        self.x = None
        ig = np.empty_like(h0)
        masks, rmask = self.masks, self.rmask
        self.output_buffer(2, h0.dtype)
        self.loop_threads()
        for s in range(t):
            a = gates[s]  # (4 units, batch): o, i, f, g
            if rmask is not None:
                np.multiply(states[s], rmask, out=xh[s, h_row:])
            np.matmul(weights_t, xh[s], out=a)
            if fused:
                np.tanh(a, out=a)
                sig = a[:u3]
                sig *= 0.5
                sig += 0.5
            else:
                _activate(rec, a[:u3], halved)
                _activate(act, a[u3:])
            c = cells[s + 1]
            np.multiply(a[u2:u3], cells[s], out=c)
            np.multiply(a[u:u2], a[u3:], out=ig)
            c += ig
            tc = act_c[s]
            if act == "tanh":
                np.tanh(c, out=tc)
            else:
                tc[...] = c
                _activate(act, tc)
            h = states[s + 1]
            np.multiply(a[:u], tc, out=h)
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
                np.copyto(c, cells[s], where=masks.invalid[s])
            self.emit(h, s)
        return self.finish([states[-1], cells[-1]])

    def backward(self, grad):
        gates, cells, act_c, xh = self.gates, self.cells, self.act_c, self.xh
        masks, rmask, act, rec = self.masks, self.rmask, self.activation, self.recurrent_activation
        t, u4, b = gates.shape
        u = u4 // 4
        u2, u3 = 2 * u, 3 * u
        f = self.kernel.shape[0]
        h_row = f + self.has_bias
        order = _lstm_order(u)
        dh, dc = _final_grads(grad, 2)
        need_dx = self.needs_input_grad[0]
        if need_dx:  # one product per step gives [dx_t; (unused); dh_{t-1}]
            weights = self.stacked_weights(order)
            d_xh = _scratch((t, weights.shape[0], b), dh.dtype)
        else:
            rk = np.ascontiguousarray(self.rkernel[:, order])
        # Every factor that does not depend on the carried gradients, for all steps at once
        # (a few passes over whole arrays instead of ~15 small ones per step):
        #   d pre_o = dh * [act(c) rec'(o)]               (rows 0:u of `dh_factors`)
        #   dc_t = dc + dh * [o act'(c)]                   (rows u:2u)
        #   [d pre_i; d pre_f; d pre_g; dc_{t-1}] = dc_t * [act(g) rec'(i); c_{t-1} rec'(f);
        #                                                   i act'(g); f]   (`dc_factors`)
        dc_factors = _scratch((t, u4, b), dh.dtype)
        dh_factors = _scratch((t, u2, b), dh.dtype)
        _derivative(rec, gates[:, :u3], out=dc_factors[:, :u3])  # rec' of o, i, f
        np.multiply(act_c, dc_factors[:, :u], out=dh_factors[:, :u])
        np.multiply(gates[:, u3:], dc_factors[:, u:u2], out=dc_factors[:, :u])
        np.multiply(cells[:t], dc_factors[:, u2:u3], out=dc_factors[:, u:u2])
        dg = _derivative(act, gates[:, u3:], out=dc_factors[:, u2:u3])
        dg *= gates[:, u:u2]
        dc_factors[:, u3:] = gates[:, u2:u3]
        do = _derivative(act, act_c, out=dh_factors[:, u:])
        do *= gates[:, :u]
        # per step: rows 0:4u d pre (o, i, f, g), rows 4u:5u the carried dc
        d_pre = _scratch((t, u4 + u, b), dh.dtype)
        dhs, dct = np.empty_like(dh), np.empty_like(dh)
        carry_h, carry_c = np.empty_like(dh), np.empty_like(dh)
        multiply, matmul = np.multiply, np.matmul
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            d = d_pre[s]
            _step_grad(grad, s, dh, dhs, masks)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs, dc], [carry_h, carry_c])
            multiply(dhs, dh_factors[s, :u], out=d[:u])
            multiply(dhs, dh_factors[s, u:], out=dct)
            dct += dc
            multiply(dc_factors[s].reshape(4, u, b), dct, out=d[u:].reshape(4, u, b))
            dc = d[u4:]
            if need_dx:
                matmul(weights, d[:u4], out=d_xh[s])
                dh = d_xh[s, h_row:]
            else:
                matmul(rk, d[:u4], out=dhs)
                dh, dhs = dhs, dh
            if rmask is not None:
                dh *= rmask
            if masked:
                dh += carry_h
                dc += carry_c
        back = np.argsort(order)
        # [dkernel; dbias; drecurrent_kernel]
        per_step = _scratch((t, xh.shape[1], u4), dh.dtype)
        threads.matmul(xh[:t], d_pre[:, :u4].transpose(0, 2, 1), out=per_step)
        d_weights = per_step.sum(axis=0)[:, back]
        dx = None
        if need_dx:
            dx = _batch_major(d_xh[:, :f], self.go_backwards)
            if np.may_share_memory(dx, d_xh):
                dx = dx.copy()
        dh, dc = dh.copy(), dc.copy()  # views of scratch buffers
        _release(dc_factors, dh_factors, d_pre, per_step, *([d_xh] if need_dx else []))
        db = d_weights[f] if self.has_bias else None
        _give_back(grad)
        return _results(self, dx, d_weights[:f], d_weights[h_row:], db, [dh, dc])

    def stacked_weights(self, order) -> np.ndarray:
        """[kernel; bias; recurrent_kernel] with the gate columns in ``order``."""
        parts = [self.kernel] + ([self.bias[None]] if self.has_bias else []) + [self.rkernel]
        return np.concatenate(parts, axis=0)[:, order]


# ------------------------------------------------------------------ GRU


class GRU(_Recurrent):
    """Keras's GRU cell over time: ``z, r = rec_act(.)``, ``hh = act(x W_h + r (h U_h + b))``
    (``reset_after``) or ``act(x W_h + (r h) U_h + b)``, ``h = z h + (1 - z) hh``."""

    def forward(
        self, x, kernel, rkernel, *rest, has_bias, reset_after, activation,
        recurrent_activation, **kw,
    ):  # fmt: skip
        (h0,) = self.setup((x, kernel, rkernel, *rest), has_bias, **kw)
        act, rec = self.activation, self.recurrent_activation = activation, recurrent_activation
        self.reset_after = reset_after
        u = rkernel.shape[0]
        u2 = 2 * u
        dtype = h0.dtype
        scale = np.ones(3 * u, dtype)
        halved = rec == "sigmoid"
        if halved:
            scale[:u2] = 0.5
        bias_in = bias_rec_h = None
        if self.bias is not None:
            if reset_after:  # the z, r parts of the recurrent bias join the input bias
                bias_in = self.bias[0] + np.r_[self.bias[1, :u2], np.zeros(u, dtype)]
                bias_rec_h = self.bias[1, u2:, None]
            else:
                bias_in = self.bias
            bias_in = bias_in * scale
        t, b = self.steps, self.batch
        gates = self.gates = self.buffer((t, 3 * u, b), dtype)
        _project(self.x_fm, self.kernel * scale, bias_in, out=gates)  # -> z, r, hh
        states = self.states = self.state_buffer(h0)
        self.hm = self.buffer((t, u, b), dtype) if self.rmask is not None else None
        # reset_after: r's other factor (h U_h + b_h); else: r * h, the input of the product
        saved = self.saved = self.buffer((t, u, b), dtype)
        masks = self.masks
        if reset_after:
            rk_t = np.ascontiguousarray((self.rkernel * scale).T)
            rec_out = np.empty_like(gates[0])
        else:
            rk_zr_t = np.ascontiguousarray((self.rkernel[:, :u2] * scale[:u2]).T)
            rk_h_t = np.ascontiguousarray(self.rkernel[:, u2:].T)
            rec_out = np.empty_like(gates[0, :u2])
        tmp = np.empty_like(h0)
        self.output_buffer(1, dtype)
        self.loop_threads()
        for s in range(gates.shape[0]):
            a = gates[s]
            zr, r, hh = a[:u2], a[u:u2], a[u2:]
            hm = self.recurrent_input(states[s], s, self.hm)
            if reset_after:
                np.matmul(rk_t, hm, out=rec_out)
                zr += rec_out[:u2]
                _activate(rec, zr, halved)
                if bias_rec_h is None:
                    saved[s] = rec_out[u2:]
                else:
                    np.add(rec_out[u2:], bias_rec_h, out=saved[s])
                np.multiply(r, saved[s], out=tmp)
            else:
                np.matmul(rk_zr_t, hm, out=rec_out)
                zr += rec_out
                _activate(rec, zr, halved)
                np.multiply(r, hm, out=saved[s])
                np.matmul(rk_h_t, saved[s], out=tmp)
            hh += tmp
            _activate(act, hh)
            h = states[s + 1]  # h = z h_prev + (1 - z) hh = hh + z (h_prev - hh)
            np.subtract(states[s], hh, out=h)
            h *= a[:u]
            h += hh
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
            self.emit(h, s)
        return self.finish([states[-1]])

    def backward(self, grad):
        gates, states, saved = self.gates, self.states, self.saved
        masks, rmask, act, rec = self.masks, self.rmask, self.activation, self.recurrent_activation
        t, u3, _ = gates.shape
        u = u3 // 3
        u2 = 2 * u
        (dh,) = _final_grads(grad, 1)
        hm_all = states[:t] if rmask is None else self.hm
        tmp, tmp2, dhs, carry = (np.empty_like(dh) for _ in range(4))
        if self.reset_after:
            # per step [d pre_h, d pre_z, d pre_r, d(h U_h + b_h)]: rows 0:3u are the gradient
            # of the input projection (order h, z, r), rows u:4u that of h U + b_rec (z, r, h)
            grads = _scratch((t, 4 * u) + dh.shape[1:], dh.dtype)
            rk = self.rkernel
        else:
            grads = _scratch(gates.shape, gates.dtype)  # d pre, order z, r, h
            rk_zr = np.ascontiguousarray(self.rkernel[:, :u2])
            rk_h = np.ascontiguousarray(self.rkernel[:, u2:])
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            a, e = gates[s], grads[s]
            z, r, hh = a[:u], a[u:u2], a[u2:]
            if self.reset_after:
                d_h, d_z, d_r = e[:u], e[u:u2], e[u2 : 3 * u]
            else:
                d_z, d_r, d_h = e[:u], e[u:u2], e[u2:]
            _step_grad(grad, s, dh, dhs, masks)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs], [carry])
            np.subtract(states[s], hh, out=d_z)  # d pre_z = dh (h_prev - hh) rec'(z)
            d_z *= dhs
            d_z *= _derivative(rec, z, out=tmp)
            _derivative(act, hh, out=tmp)  # d pre_h = dh (1 - z) act'(hh)
            np.subtract(1, z, out=tmp2)
            tmp *= tmp2
            np.multiply(tmp, dhs, out=d_h)
            if self.reset_after:
                np.multiply(d_h, r, out=e[3 * u :])  # d (h U_h + b_h) = d pre_h r
                np.multiply(d_h, saved[s], out=d_r)  # d pre_r = d pre_h (h U_h + b_h) rec'(r)
                d_r *= _derivative(rec, r, out=tmp)
                np.matmul(rk, e[u:], out=dh)
            else:
                np.matmul(rk_h, d_h, out=tmp2)  # d (r h)
                np.multiply(tmp2, hm_all[s], out=d_r)  # d pre_r = d(r h) h rec'(r)
                d_r *= _derivative(rec, r, out=tmp)
                np.matmul(rk_zr, e[:u2], out=dh)
                tmp2 *= r
                dh += tmp2
            if rmask is not None:
                dh *= rmask
            np.multiply(dhs, z, out=tmp)
            dh += tmp
            if masked:
                dh += carry
        drk = None
        if self.reset_after:
            hzr = np.r_[u2 : 3 * u, 0:u2]  # Keras's z, r, h columns in the order h, z, r
            back = np.argsort(hzr)
            dx, dk, db = _input_grads(self, grads[:, :u3], self.kernel[:, hzr])
            dk = None if dk is None else dk[:, back]
            if db is not None:
                db = np.stack([db[back], grads[:, u:].sum(axis=(0, 2))])
            if self.needs_input_grad[2]:
                drk = _outer_sum(hm_all, grads[:, u:])
        else:
            dx, dk, db = _input_grads(self, grads, self.kernel)
            if self.needs_input_grad[2]:
                drk = np.concatenate(
                    [_outer_sum(hm_all, grads[:, :u2]), _outer_sum(saved, grads[:, u2:])], axis=1
                )
        _release(grads)
        _give_back(grad)
        return _results(self, dx, dk, drk, db, [dh])


# ------------------------------------------------------------------ unpacking


class _Take(Function):
    """``packed[index]`` for a basic index; its gradient is written into zeros (no add.at)."""

    def forward(self, packed, index):
        self.shape, self.index = packed.shape, index
        return packed[index]

    def backward(self, grad):
        out = _scratch(self.shape, grad.dtype)  # the primitive's backward gives it back
        _LENT[id(out)] = out
        step = self.index[1]
        if isinstance(step, slice):  # the outputs: every row but the final states'
            out[:, step.stop :] = 0
        else:  # one final state
            out[:, :step] = 0
            out[:, step + 1 :] = 0
        out[self.index] = grad
        return (out,)


def _unpack(packed: Tensor, t: int, n_states: int) -> tuple:
    everything = slice(None)
    out = [_Take.apply(packed, index=(everything, slice(0, t)))]
    out += [_Take.apply(packed, index=(everything, t + k)) for k in range(n_states)]
    return tuple(out)


# ------------------------------------------------------------------ validation


def _shape(a) -> tuple:
    return tuple(int(d) for d in np.shape(a))


def _validate(op, x, kernel, rkernel, bias, states, n_gates, bias_shape, acts, mask, rmask):
    """Tensors for every argument, after checking the shapes; ValueError names what is wrong."""
    x = as_tensor(x)
    if x.ndim != 3:
        raise ValueError(
            f"{op}: expected `x` of shape (batch, timesteps, features). "
            f"Received: x.shape={_shape(x)}"
        )
    batch, steps, features = _shape(x)
    if steps == 0:
        raise ValueError(f"{op}: `x` has no timesteps. Received: x.shape={_shape(x)}")
    kernel, rkernel = as_tensor(kernel), as_tensor(rkernel)
    if rkernel.ndim != 2 or rkernel.shape[1] != n_gates * rkernel.shape[0]:
        raise ValueError(
            f"{op}: expected `recurrent_kernel` of shape (units, {n_gates} * units). "
            f"Received: recurrent_kernel.shape={_shape(rkernel)}"
        )
    units = int(rkernel.shape[0])
    expected = {"kernel": (features, n_gates * units)}
    names = ["kernel"]
    if bias is not None:
        bias = as_tensor(bias)
        expected["bias"] = bias_shape(units)
        names.append("bias")
    state_names = ["h0", "c0"][: len(states)]
    states = [as_tensor(s) for s in states]
    for name in state_names:
        expected[name] = (batch, units)
    given = [kernel] + ([bias] if bias is not None else []) + states
    values = dict(zip(names + state_names, given))
    for name, value in values.items():
        if _shape(value) != expected[name]:
            raise ValueError(
                f"{op}: expected `{name}` of shape {expected[name]} for x.shape={_shape(x)} "
                f"and {units} units. Received: {name}.shape={_shape(value)}"
            )
    for arg, name in acts.items():
        if name not in FAST_ACTIVATIONS:
            raise ValueError(
                f"{op}: unknown {arg}={name!r}; expected one of {sorted(FAST_ACTIVATIONS)} "
                "(a layer with another activation runs its cell step by step)"
            )
    if mask is not None:
        mask = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
        if _shape(mask) != (batch, steps):
            raise ValueError(
                f"{op}: expected `mask` of shape (batch, timesteps) = {(batch, steps)}. "
                f"Received: mask.shape={_shape(mask)}"
            )
        mask = mask.astype(bool, copy=False)
    if rmask is not None:
        rmask = np.asarray(rmask.data if isinstance(rmask, Tensor) else rmask)
        if _shape(rmask) != (batch, units):
            raise ValueError(
                f"{op}: expected `recurrent_mask` of shape (batch, units) = {(batch, units)}. "
                f"Received: recurrent_mask.shape={_shape(rmask)}"
            )
    tensors = [x, kernel, rkernel] + ([bias] if bias is not None else []) + states
    return tensors, mask, rmask


# ------------------------------------------------------------------ the functional API


def simple_rnn(
    x, kernel, recurrent_kernel, bias, h0, *, activation: str = "tanh", mask=None,
    go_backwards: bool = False, zero_output_for_mask: bool = False, recurrent_mask=None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """A SimpleRNN layer over all timesteps, as one tape node (Keras's ``SimpleRNN`` math).

    ``h_t = activation(x_t @ kernel + bias + (h_{t-1} * recurrent_mask) @ recurrent_kernel)``.

    Parameters
    ----------
    x : Tensor
        ``(batch, timesteps, features)``.
    kernel, recurrent_kernel, bias : Tensor
        ``(features, units)``, ``(units, units)``, ``(units,)``; ``bias=None`` for none.
    h0 : Tensor
        The initial state, ``(batch, units)``.
    activation : str
        One of :data:`FAST_ACTIVATIONS`.
    mask : ndarray of bool, optional
        ``(batch, timesteps)``; at a masked step the state is carried over and the output is
        the previous output (zeros before the first valid step, as in TensorFlow's backend).
    go_backwards : bool
        Process the sequence last step first; ``outputs`` come in processing order.
    zero_output_for_mask : bool
        Masked steps output zeros instead of the previous output.
    recurrent_mask : ndarray, optional
        ``(batch, units)``, multiplies ``h_{t-1}`` in the recurrent product (recurrent dropout).

    Returns
    -------
    (outputs, h)
        Every step's output ``(batch, timesteps, units)`` and the final state ``(batch, units)``.

    Examples
    --------
    >>> x = Tensor(np.ones((2, 5, 3), np.float32))
    >>> k, rk = np.full((3, 4), 0.1, np.float32), np.eye(4, dtype=np.float32)
    >>> outputs, h = simple_rnn(x, k, rk, None, np.zeros((2, 4), np.float32))
    >>> outputs.shape, h.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """
    tensors, mask, recurrent_mask = _validate(
        "simple_rnn", x, kernel, recurrent_kernel, bias, [h0], 1, lambda u: (u,),
        {"activation": activation}, mask, recurrent_mask,
    )  # fmt: skip
    packed = SimpleRNN.apply(
        *tensors, has_bias=bias is not None, activation=activation, mask=mask,
        go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask,
        recurrent_mask=recurrent_mask,
    )  # fmt: skip
    return _unpack(packed, tensors[0].shape[1], 1)


def lstm(
    x, kernel, recurrent_kernel, bias, h0, c0, *, activation: str = "tanh",
    recurrent_activation: str = "sigmoid", mask=None, go_backwards: bool = False,
    zero_output_for_mask: bool = False, recurrent_mask=None,
) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """An LSTM layer over all timesteps, as one tape node (Keras's ``LSTM`` math).

    With ``a = x_t @ kernel + (h_{t-1} * recurrent_mask) @ recurrent_kernel + bias`` split
    into the gates ``i, f, c, o`` (Keras's order): ``c_t = rec(f) * c_{t-1} + rec(i) *
    act(c)``, ``h_t = rec(o) * act(c_t)``, where ``rec`` is ``recurrent_activation``.

    Parameters
    ----------
    x : Tensor
        ``(batch, timesteps, features)``.
    kernel, recurrent_kernel, bias : Tensor
        ``(features, 4 * units)``, ``(units, 4 * units)``, ``(4 * units,)``; ``bias=None``
        for none.
    h0, c0 : Tensor
        The initial states, ``(batch, units)`` each.
    activation, recurrent_activation : str
        Names among :data:`FAST_ACTIVATIONS`.
    mask, go_backwards, zero_output_for_mask, recurrent_mask
        As in :func:`simple_rnn`; a masked step carries both states over.

    Returns
    -------
    (outputs, h, c)
        Every step's output ``(batch, timesteps, units)`` and the final states.

    Examples
    --------
    >>> x = Tensor(np.ones((2, 5, 3), np.float32))
    >>> k, rk = np.full((3, 16), 0.1, np.float32), np.zeros((4, 16), np.float32)
    >>> zeros = np.zeros((2, 4), np.float32)
    >>> outputs, h, c = lstm(x, k, rk, np.zeros(16, np.float32), zeros, zeros)
    >>> outputs.shape, c.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """
    tensors, mask, recurrent_mask = _validate(
        "lstm", x, kernel, recurrent_kernel, bias, [h0, c0], 4, lambda u: (4 * u,),
        {"activation": activation, "recurrent_activation": recurrent_activation},
        mask, recurrent_mask,
    )  # fmt: skip
    packed = LSTM.apply(
        *tensors, has_bias=bias is not None, activation=activation,
        recurrent_activation=recurrent_activation, mask=mask, go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask, recurrent_mask=recurrent_mask,
    )  # fmt: skip
    return _unpack(packed, tensors[0].shape[1], 2)


def gru(
    x, kernel, recurrent_kernel, bias, h0, *, reset_after: bool = True,
    activation: str = "tanh", recurrent_activation: str = "sigmoid", mask=None,
    go_backwards: bool = False, zero_output_for_mask: bool = False, recurrent_mask=None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """A GRU layer over all timesteps, as one tape node (Keras's ``GRU`` math).

    Gates ``z, r, h`` (Keras's order). With ``reset_after=True`` (Keras 3's default, cuDNN's
    and PyTorch's variant) ``hh = act(x W_h + b_in,h + r * (h_{t-1} U_h + b_rec,h))`` and
    ``bias`` is ``(2, 3 * units)`` (input bias, recurrent bias); with ``reset_after=False``
    ``hh = act(x W_h + (r * h_{t-1}) U_h + b_h)`` and ``bias`` is ``(3 * units,)``. Then
    ``h_t = z * h_{t-1} + (1 - z) * hh``.

    Parameters
    ----------
    x : Tensor
        ``(batch, timesteps, features)``.
    kernel, recurrent_kernel, bias : Tensor
        ``(features, 3 * units)``, ``(units, 3 * units)``, and the bias above (or None).
    h0 : Tensor
        The initial state, ``(batch, units)``.
    reset_after : bool
        Where the reset gate applies: after the recurrent product (True) or before it.
    activation, recurrent_activation : str
        Names among :data:`FAST_ACTIVATIONS`.
    mask, go_backwards, zero_output_for_mask, recurrent_mask
        As in :func:`simple_rnn`.

    Returns
    -------
    (outputs, h)
        Every step's output ``(batch, timesteps, units)`` and the final state.

    Examples
    --------
    >>> x = Tensor(np.ones((2, 5, 3), np.float32))
    >>> k, rk = np.full((3, 12), 0.1, np.float32), np.zeros((4, 12), np.float32)
    >>> outputs, h = gru(x, k, rk, np.zeros((2, 12), np.float32), np.zeros((2, 4), np.float32))
    >>> outputs.shape, h.shape
    (TensorShape([2, 5, 4]), TensorShape([2, 4]))
    """
    tensors, mask, recurrent_mask = _validate(
        "gru", x, kernel, recurrent_kernel, bias, [h0], 3,
        (lambda u: (2, 3 * u)) if reset_after else (lambda u: (3 * u,)),
        {"activation": activation, "recurrent_activation": recurrent_activation},
        mask, recurrent_mask,
    )  # fmt: skip
    packed = GRU.apply(
        *tensors, has_bias=bias is not None, reset_after=bool(reset_after),
        activation=activation, recurrent_activation=recurrent_activation, mask=mask,
        go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask,
        recurrent_mask=recurrent_mask,
    )  # fmt: skip
    return _unpack(packed, tensors[0].shape[1], 1)
