"""Fused recurrent primitives: a whole SimpleRNN, LSTM or GRU layer call as one tape node.

Each primitive runs the layer over every timestep with Keras 3's math, gate order and weight
shapes (LSTM gates ``i, f, c, o``; GRU gates ``z, r, h``, its bias ``(2, 3 * units)`` when
``reset_after``) and its own backward-through-time, so the tape holds one node per layer call
instead of a dozen per timestep. The readable reference they are tested against is the
step-by-step loop in ``tests/ops/test_recurrent.py`` (one cell step in NumPy, Keras's masking
rules), and PyTorch's ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` with the weights mapped across.

How it is fast (the time loop is the only Python loop, and it does little per step):

- the input projection ``x @ kernel + bias`` of all timesteps is one matrix product before the
  loop; only the small ``(batch, units) @ (units, gates * units)`` product runs per step;
- everything runs time-major, in processing order (reversed for ``go_backwards``), in buffers
  allocated once per call and written with ``out=``;
- the sigmoid gates are contiguous (the LSTM runs internally in the order ``o, i, f, c``) and
  their columns of the weights are pre-scaled by 1/2, so ``sigmoid(a) = tanh(a / 2) / 2 + 1/2``
  costs one ``tanh`` over all the gates at once plus two in-place operations;
- backward saves only activation outputs (every fast activation's derivative is a function of
  its output), computes the factors that do not depend on the incoming gradient for all
  timesteps at once, and leaves to three large products after the loop the gradients of the
  input, the kernel, the recurrent kernel and the bias.

The three (or two) results come out of one :class:`~neuroflow.tensor.Function` whose output
packs them as ``(batch, timesteps + 2, units)`` (outputs, final ``h``, final ``c``), sliced by
:class:`_Take`.
"""

from __future__ import annotations

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


def _derivative(name: str, y: np.ndarray) -> np.ndarray:
    """d activation / d pre-activation, from the activation's output ``y`` (a new array)."""
    if name == "tanh":
        d = np.multiply(y, y)
        np.subtract(1, d, out=d)
        return d
    if name == "sigmoid":
        d = np.subtract(1, y)
        d *= y
        return d
    if name == "relu":  # 0 at the kink, as TensorFlow's
        return (y > 0).astype(y.dtype)
    if name == "hard_sigmoid":
        return ((y > 0) & (y < 1)).astype(y.dtype) * y.dtype.type(1 / 6)
    return np.ones_like(y)  # linear


# ------------------------------------------------------------------ shared plumbing


def _time_major(x: np.ndarray, go_backwards: bool) -> np.ndarray:
    """(batch, T, F) -> contiguous (T, batch, F) in processing order."""
    if go_backwards:
        x = x[:, ::-1]
    return np.ascontiguousarray(x.transpose(1, 0, 2))


def _batch_major(d: np.ndarray, go_backwards: bool) -> np.ndarray:
    """The inverse of :func:`_time_major` (for the input gradient)."""
    d = d.transpose(1, 0, 2)
    return np.ascontiguousarray(d[:, ::-1] if go_backwards else d)


class _Masks:
    """A Keras mask ``(batch, T)`` in processing order, as the loop uses it."""

    def __init__(self, mask: np.ndarray | None, go_backwards: bool, zero_output: bool, dtype):
        self.any = mask is not None and not mask.all()
        if not self.any:
            self.partial = None
            return
        m = mask.T[::-1] if go_backwards else mask.T  # (T, batch)
        self.partial = ~m.all(axis=1)  # steps where some row is masked
        self.invalid = ~m[:, :, None]  # where=... for np.copyto
        self.keep = m[:, :, None].astype(dtype)
        self.drop = self.invalid.astype(dtype)
        # outputs = states * factor: at a masked step the output is the previous output, which
        # is the carried state once a step was valid, zeros before (TensorFlow's backend), or
        # zeros at every masked step with zero_output_for_mask
        seen = m if zero_output else np.logical_or.accumulate(m, axis=0)
        self.factor = seen[:, :, None].astype(dtype)


def _project(x_tm: np.ndarray, kernel: np.ndarray, bias) -> np.ndarray:
    """``x @ kernel + bias`` for all timesteps at once: (T, batch, gates * units)."""
    t, b, f = x_tm.shape
    out = threads.matmul(x_tm.reshape(t * b, f), kernel)
    if bias is not None:
        out += bias
    return out.reshape(t, b, kernel.shape[1])


def _pack(states: np.ndarray, finals: list, masks: _Masks) -> np.ndarray:
    """(batch, T + len(finals), units): every step's output, then the final states."""
    t, b, u = states.shape[0] - 1, states.shape[1], states.shape[2]
    packed = np.empty((b, t + len(finals), u), dtype=states.dtype)
    seq = states[1:].transpose(1, 0, 2)
    if masks.any:
        np.multiply(seq, masks.factor.transpose(1, 0, 2), out=packed[:, :t])
    else:
        packed[:, :t] = seq
    for k, final in enumerate(finals):
        packed[:, t + k] = final
    return packed


def _unpack_grad(grad: np.ndarray, t: int, n_states: int, masks: _Masks):
    """The packed output's gradient as (d outputs time-major, d final states...)."""
    d_seq = grad[:, :t].transpose(1, 0, 2)  # (T, batch, units), a strided view
    if masks.any:
        d_seq = d_seq * masks.factor
    return d_seq, [grad[:, t + k].copy() for k in range(n_states)]


def _input_grads(self, d_gates: np.ndarray, kernel: np.ndarray):
    """(dx, dkernel, dbias) from d(pre-activations) of the input projection (T, batch, G)."""
    t, b, g = d_gates.shape
    d2 = d_gates.reshape(t * b, g)
    dx = dk = db = None
    if self.needs_input_grad[0]:
        dx = threads.matmul(d2, kernel.T).reshape(t, b, kernel.shape[0])
        dx = _batch_major(dx, self.go_backwards)
    if self.needs_input_grad[1]:
        dk = threads.matmul(self.x_tm.reshape(t * b, -1).T, d2)
    if self.has_bias and self.needs_input_grad[3]:
        db = d2.sum(axis=0)
    return dx, dk, db


def _masked_step_begin(masks: _Masks, s: int, d_states: list, carries: list) -> None:
    """At a step with masked rows: the part of each state gradient that skips the step."""
    for d, carry in zip(d_states, carries):
        np.multiply(d, masks.drop[s], out=carry)
        d *= masks.keep[s]


def _results(self, dx, dk, drk, db, d_states) -> tuple:
    """The gradient tuple in argument order, each in its input's dtype."""
    grads = [dx, dk, drk] + ([db] if self.has_bias else []) + list(d_states)
    return tuple(
        None if (g is None or not need) else g.astype(dtype, copy=False)
        for g, need, dtype in zip(grads, self.needs_input_grad, self.dtypes)
    )


class _Recurrent(Function):
    """Argument handling shared by the three primitives: positional tensors ``x, kernel,
    recurrent_kernel, [bias], h0, [c0]``; keyword constants as in :func:`lstm`."""

    def setup(self, arrays, has_bias, mask, go_backwards, zero_output_for_mask, recurrent_mask):
        self.dtypes = [a.dtype for a in arrays]
        dtype = np.result_type(*arrays)
        arrays = [a.astype(dtype, copy=False) for a in arrays]
        x, kernel, rkernel = arrays[:3]
        self.has_bias, self.go_backwards = has_bias, go_backwards
        self.kernel, self.rkernel = kernel, rkernel
        self.bias = arrays[3] if has_bias else None
        self.x_tm = _time_major(x, go_backwards)
        self.masks = _Masks(mask, go_backwards, zero_output_for_mask, dtype)
        self.rmask = None if recurrent_mask is None else recurrent_mask.astype(dtype)
        self.step_work = x.shape[0] * rkernel.shape[0] * rkernel.shape[1]
        return arrays[3 + has_bias :]

    def loop_threads(self) -> None:
        """Sets the BLAS threads for the per-step products (the loop calls np.matmul)."""
        threads.before_product(self.step_work)

    def recurrent_input(self, h_prev, s, hm_all):
        """h_{t-1} as it enters the recurrent product (times the recurrent dropout mask)."""
        if self.rmask is None:
            return h_prev
        return np.multiply(h_prev, self.rmask, out=hm_all[s])


# ------------------------------------------------------------------ SimpleRNN


class SimpleRNN(_Recurrent):
    """``h_t = activation(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel)`` over time."""

    def forward(self, x, kernel, rkernel, *rest, has_bias, activation, **kw):
        (h0,) = self.setup((x, kernel, rkernel, *rest), has_bias, **kw)
        self.activation = activation
        rk = self.rkernel
        t, b = self.x_tm.shape[:2]
        pre = _project(self.x_tm, self.kernel, self.bias)
        states = self.states = np.empty((t + 1,) + h0.shape, dtype=pre.dtype)
        states[0] = h0
        self.hm = np.empty_like(pre) if self.rmask is not None else None
        masks = self.masks
        self.loop_threads()
        for s in range(t):
            h = states[s + 1]
            np.matmul(self.recurrent_input(states[s], s, self.hm), rk, out=h)
            h += pre[s]
            _activate(activation, h)
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
        return _pack(states, [states[t]], masks)

    def backward(self, grad):
        states, masks, rmask = self.states, self.masks, self.rmask
        t = states.shape[0] - 1
        d_seq, (dh,) = _unpack_grad(grad, t, 1, masks)
        dact = _derivative(self.activation, states[1:])
        d_pre = np.empty_like(dact)
        rk_t = np.ascontiguousarray(self.rkernel.T)
        dhs, carry = np.empty_like(dh), np.empty_like(dh)
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            np.add(dh, d_seq[s], out=dhs)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs], [carry])
            np.multiply(dhs, dact[s], out=d_pre[s])
            np.matmul(d_pre[s], rk_t, out=dh)
            if rmask is not None:
                dh *= rmask
            if masked:
                dh += carry
        hm = states[:t] if rmask is None else self.hm
        drk = _outer_sum(hm, d_pre) if self.needs_input_grad[2] else None
        dx, dk, db = _input_grads(self, d_pre, self.kernel)
        return _results(self, dx, dk, drk, db, [dh])


def _outer_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """sum over steps and rows of a_s^T b_s: one product over the stacked (T, batch, .) arrays."""
    return threads.matmul(a.reshape(-1, a.shape[-1]).T, b.reshape(-1, b.shape[-1]))


# ------------------------------------------------------------------ LSTM


def _lstm_order(u: int) -> np.ndarray:
    """Columns of Keras's ``i, f, c, o`` in the internal order ``o, i, f, c``."""
    return np.r_[3 * u : 4 * u, 0 : 3 * u]


class LSTM(_Recurrent):
    """Keras's LSTM cell over time: ``i, f, o = rec_act(.)``, ``c = f c + i act(.)``,
    ``h = o act(c)``."""

    def forward(self, x, kernel, rkernel, *rest, has_bias, activation, recurrent_activation, **kw):
        h0, c0 = self.setup((x, kernel, rkernel, *rest), has_bias, **kw)
        act, rec = self.activation, self.recurrent_activation = activation, recurrent_activation
        u = rkernel.shape[0]
        order = _lstm_order(u)
        dtype = h0.dtype
        # the sigmoid gates' columns pre-scaled by 1/2 (see the module docstring)
        scale = np.ones(4 * u, dtype)
        halved = rec == "sigmoid"
        if halved:
            scale[: 3 * u] = 0.5
        fused = halved and act == "tanh"  # one tanh over all four gates
        k = self.kernel[:, order] * scale
        rk = self.rkernel[:, order] * scale
        bias = None if self.bias is None else self.bias[order] * scale
        t, b = self.x_tm.shape[:2]
        gates = self.gates = _project(self.x_tm, k, bias)  # becomes o, i, f, g per step
        states = self.states = np.empty((t + 1, b, u), dtype)
        cells = self.cells = np.empty((t + 1, b, u), dtype)
        act_c = self.act_c = np.empty((t, b, u), dtype)
        states[0], cells[0] = h0, c0
        self.hm = np.empty_like(act_c) if self.rmask is not None else None
        rec_out = np.empty((b, 4 * u), dtype)
        ig = np.empty((b, u), dtype)
        masks = self.masks
        self.loop_threads()
        for s in range(t):
            a = gates[s]
            np.matmul(self.recurrent_input(states[s], s, self.hm), rk, out=rec_out)
            a += rec_out
            if fused:
                np.tanh(a, out=a)
                sig = a[:, : 3 * u]
                sig *= 0.5
                sig += 0.5
            else:
                _activate(rec, a[:, : 3 * u], halved)
                _activate(act, a[:, 3 * u :])
            c = cells[s + 1]
            np.multiply(a[:, 2 * u : 3 * u], cells[s], out=c)
            np.multiply(a[:, u : 2 * u], a[:, 3 * u :], out=ig)
            c += ig
            tc = act_c[s]
            if act == "tanh":
                np.tanh(c, out=tc)
            else:
                tc[...] = c
                _activate(act, tc)
            h = states[s + 1]
            np.multiply(a[:, :u], tc, out=h)
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
                np.copyto(c, cells[s], where=masks.invalid[s])
        return _pack(states, [states[t], cells[t]], masks)

    def backward(self, grad):
        gates, states, cells, act_c = self.gates, self.states, self.cells, self.act_c
        masks, rmask = self.masks, self.rmask
        t, b, u4 = gates.shape
        u = u4 // 4
        order = _lstm_order(u)
        d_seq, (dh, dc) = _unpack_grad(grad, t, 2, masks)
        o, i, f, g = (gates[..., j * u : (j + 1) * u] for j in range(4))
        # the factors that do not depend on the incoming gradient, for all steps at once
        d_sig = _derivative(self.recurrent_activation, gates[..., : 3 * u])
        d_tc = _derivative(self.activation, act_c)
        d_tc *= o  # dc += dh * o * act'(c)
        k_o = act_c * d_sig[..., :u]  # d pre_o = dh * act(c) * rec'(o)
        k_ifg = np.empty((t, b, 3, u), gates.dtype)  # d pre_{i,f,g} = dc * k_ifg
        np.multiply(g, d_sig[..., u : 2 * u], out=k_ifg[:, :, 0])
        np.multiply(cells[:t], d_sig[..., 2 * u :], out=k_ifg[:, :, 1])
        np.multiply(i, _derivative(self.activation, g), out=k_ifg[:, :, 2])
        d_pre = np.empty_like(gates)
        d_pre4 = d_pre.reshape(t, b, 4, u)
        rk_t = np.ascontiguousarray(self.rkernel[:, order].T)
        dhs, dct = np.empty_like(dh), np.empty_like(dh)
        carry_h, carry_c = np.empty_like(dh), np.empty_like(dh)
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            np.add(dh, d_seq[s], out=dhs)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs, dc], [carry_h, carry_c])
            np.multiply(dhs, k_o[s], out=d_pre4[s, :, 0])
            np.multiply(dhs, d_tc[s], out=dct)
            dct += dc
            np.multiply(dct[:, None, :], k_ifg[s], out=d_pre4[s, :, 1:])
            np.multiply(dct, f[s], out=dc)
            np.matmul(d_pre[s], rk_t, out=dh)
            if rmask is not None:
                dh *= rmask
            if masked:
                dh += carry_h
                dc += carry_c
        back = np.argsort(order)
        d_pre_keras = d_pre[..., back]  # Keras's gate order from here on
        hm = states[:t] if rmask is None else self.hm
        drk = _outer_sum(hm, d_pre_keras) if self.needs_input_grad[2] else None
        dx, dk, db = _input_grads(self, d_pre_keras, self.kernel)
        return _results(self, dx, dk, drk, db, [dh, dc])


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
        dtype = h0.dtype
        scale = np.ones(3 * u, dtype)
        halved = rec == "sigmoid"
        if halved:
            scale[: 2 * u] = 0.5
        bias_in = bias_rec_h = None
        if self.bias is not None:
            if reset_after:  # the z, r parts of the recurrent bias join the input bias
                bias_in = self.bias[0] + np.r_[self.bias[1, : 2 * u], np.zeros(u, dtype)]
                bias_rec_h = self.bias[1, 2 * u :]
            else:
                bias_in = self.bias
            bias_in = bias_in * scale
        t, b = self.x_tm.shape[:2]
        gates = self.gates = _project(self.x_tm, self.kernel * scale, bias_in)  # -> z, r, hh
        states = self.states = np.empty((t + 1, b, u), dtype)
        states[0] = h0
        self.hm = np.empty((t, b, u), dtype) if self.rmask is not None else None
        # reset_after: r's other factor (h U_h + b_h); else: r * h, the input of the product
        saved = self.saved = np.empty((t, b, u), dtype)
        masks = self.masks
        if reset_after:
            rk = self.rkernel * scale
            rec_out = np.empty((b, 3 * u), dtype)
        else:
            rk_zr = self.rkernel[:, : 2 * u] * scale[: 2 * u]
            rk_h = self.rkernel[:, 2 * u :]
            rec_out = np.empty((b, 2 * u), dtype)
            rec_h = np.empty((b, u), dtype)
        self.loop_threads()
        for s in range(t):
            a = gates[s]
            zr, hh = a[:, : 2 * u], a[:, 2 * u :]
            hm = self.recurrent_input(states[s], s, self.hm)
            if reset_after:
                np.matmul(hm, rk, out=rec_out)
                zr += rec_out[:, : 2 * u]
                _activate(rec, zr, halved)
                if bias_rec_h is None:
                    saved[s] = rec_out[:, 2 * u :]
                else:
                    np.add(rec_out[:, 2 * u :], bias_rec_h, out=saved[s])
                rec_h = rec_out[:, 2 * u :]
                np.multiply(a[:, u : 2 * u], saved[s], out=rec_h)
            else:
                np.matmul(hm, rk_zr, out=rec_out)
                zr += rec_out
                _activate(rec, zr, halved)
                np.multiply(a[:, u : 2 * u], hm, out=saved[s])
                np.matmul(saved[s], rk_h, out=rec_h)
            hh += rec_h
            _activate(act, hh)
            h = states[s + 1]  # h = z h_prev + (1 - z) hh = hh + z (h_prev - hh)
            np.subtract(states[s], hh, out=h)
            h *= a[:, :u]
            h += hh
            if masks.any and masks.partial[s]:
                np.copyto(h, states[s], where=masks.invalid[s])
        return _pack(states, [states[t]], masks)

    def backward(self, grad):
        gates, states, saved = self.gates, self.states, self.saved
        masks, rmask = self.masks, self.rmask
        t, b, u3 = gates.shape
        u = u3 // 3
        d_seq, (dh,) = _unpack_grad(grad, t, 1, masks)
        z, r, hh = (gates[..., j * u : (j + 1) * u] for j in range(3))
        h_prev = states[:t]
        hm = h_prev if rmask is None else self.hm
        d_zr = _derivative(self.recurrent_activation, gates[..., : 2 * u])
        k_h = _derivative(self.activation, hh)
        k_h *= 1 - z  # d pre_h = dh * (1 - z) act'(hh)
        k_z = np.subtract(h_prev, hh)
        k_z *= d_zr[..., :u]  # d pre_z = dh * (h_prev - hh) rec'(z)
        d_pre = np.empty_like(gates)
        dhs, tmp, carry = np.empty_like(dh), np.empty_like(dh), np.empty_like(dh)
        if self.reset_after:
            # d pre_r = dh * k_h * (h U_h + b_h) rec'(r); d (h U_h + b_h) = dh * k_h * r
            k_all = np.empty((t, b, 3, u), gates.dtype)
            k_all[:, :, 0] = k_z
            np.multiply(k_h, saved, out=k_all[:, :, 1])
            k_all[:, :, 1] *= d_zr[..., u:]
            np.multiply(k_h, r, out=k_all[:, :, 2])
            d_rec = np.empty_like(gates)  # d (h U + b_rec)
            d_rec4 = d_rec.reshape(t, b, 3, u)
            d_h = np.empty_like(hh)  # dh at each step, for d pre_h after the loop
            rk_t = np.ascontiguousarray(self.rkernel.T)
        else:
            k_r = np.multiply(hm, d_zr[..., u:])  # d pre_r = d(r h) * h rec'(r)
            rk_zr_t = np.ascontiguousarray(self.rkernel[:, : 2 * u].T)
            rk_h_t = np.ascontiguousarray(self.rkernel[:, 2 * u :].T)
            d_rh = np.empty_like(dh)
        self.loop_threads()
        for s in range(t - 1, -1, -1):
            dhs_s = d_h[s] if self.reset_after else dhs
            np.add(dh, d_seq[s], out=dhs_s)
            masked = masks.any and masks.partial[s]
            if masked:
                _masked_step_begin(masks, s, [dhs_s], [carry])
            if self.reset_after:
                np.multiply(dhs_s[:, None, :], k_all[s], out=d_rec4[s])
                np.matmul(d_rec[s], rk_t, out=dh)
            else:
                dp = d_pre[s]
                np.multiply(dhs_s, k_z[s], out=dp[:, :u])
                np.multiply(dhs_s, k_h[s], out=dp[:, 2 * u :])
                np.matmul(dp[:, 2 * u :], rk_h_t, out=d_rh)
                np.multiply(d_rh, k_r[s], out=dp[:, u : 2 * u])
                np.matmul(dp[:, : 2 * u], rk_zr_t, out=dh)
                d_rh *= r[s]
                dh += d_rh
            if rmask is not None:
                dh *= rmask
            np.multiply(dhs_s, z[s], out=tmp)
            dh += tmp
            if masked:
                dh += carry
        drk = db = None
        if self.reset_after:
            d_pre[..., : 2 * u] = d_rec[..., : 2 * u]
            np.multiply(d_h, k_h, out=d_pre[..., 2 * u :])
            if self.needs_input_grad[2]:
                drk = _outer_sum(hm, d_rec)
        elif self.needs_input_grad[2]:
            drk = np.concatenate(
                [_outer_sum(hm, d_pre[..., : 2 * u]), _outer_sum(saved, d_pre[..., 2 * u :])],
                axis=1,
            )
        dx, dk, db = _input_grads(self, d_pre, self.kernel)
        if db is not None and self.reset_after:
            db = np.stack([db, d_rec.reshape(-1, u3).sum(axis=0)])
        return _results(self, dx, dk, drk, db, [dh])


# ------------------------------------------------------------------ unpacking


class _Take(Function):
    """``packed[index]`` for a basic index; its gradient is written into zeros (no add.at)."""

    def forward(self, packed, index):
        self.shape, self.index = packed.shape, index
        return packed[index]

    def backward(self, grad):
        out = np.zeros(self.shape, dtype=grad.dtype)
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
