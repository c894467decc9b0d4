"""The fused recurrent primitives against a step-by-step NumPy reference, float64 gradcheck,
PyTorch's nn.RNN / nn.LSTM / nn.GRU (weights mapped across) and Keras's layers (masks)."""

from __future__ import annotations

import numpy as np
import pytest

from neuroflow import ops
from neuroflow.ops import recurrent
from neuroflow.tensor import Tensor
from neuroflow.testing import gradcheck
from tests.conftest import peer

B, T, F, U = 4, 5, 3, 3
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_v1": 3}  # gru_v1: reset_after=False

# rows: all valid, masked at the end, masked at the start, alternating
MASK = np.array(
    [
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
        [0, 0, 1, 1, 1],
        [1, 0, 1, 0, 1],
    ],
    dtype=bool,
)


# ------------------------------------------------------------------ the readable reference

_ACT = {
    "tanh": np.tanh,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0),
    "linear": lambda a: a,
    "hard_sigmoid": lambda a: np.minimum(np.maximum(a + 3, 0), 6) / 6,  # relu6(x + 3) / 6
}


def _step(cell, x_t, states, kernel, rk, bias, act, rec, rmask):
    """One cell step as Keras writes it (its ``implementation=1`` form: gate by gate)."""
    h = states[0]
    hm = h if rmask is None else h * rmask
    u = rk.shape[0]
    cols = [slice(j * u, (j + 1) * u) for j in range(GATES[cell])]
    if cell == "simple_rnn":
        b = 0 if bias is None else bias
        return [act(x_t @ kernel + b + hm @ rk)]
    if cell == "lstm":
        b = np.zeros(4 * u) if bias is None else bias
        i, f, c, o = (x_t @ kernel[:, s] + hm @ rk[:, s] + b[s] for s in cols)
        c = rec(f) * states[1] + rec(i) * act(c)
        return [rec(o) * act(c), c]
    if cell == "gru":  # reset_after=True: bias rows are (input, recurrent)
        b_in, b_rec = (np.zeros(3 * u), np.zeros(3 * u)) if bias is None else bias
        xz, xr, xh = (x_t @ kernel[:, s] + b_in[s] for s in cols)
        rz, rr, rh = (hm @ rk[:, s] + b_rec[s] for s in cols)
        z, r = rec(xz + rz), rec(xr + rr)
        hh = act(xh + r * rh)
    else:  # reset_after=False
        b = np.zeros(3 * u) if bias is None else bias
        xz, xr, xh = (x_t @ kernel[:, s] + b[s] for s in cols)
        z, r = rec(xz + hm @ rk[:, cols[0]]), rec(xr + hm @ rk[:, cols[1]])
        hh = act(xh + (r * hm) @ rk[:, cols[2]])
    return [z * h + (1 - z) * hh]


def reference(
    cell,
    x,
    kernel,
    rk,
    bias,
    *states,
    activation="tanh",
    recurrent_activation="sigmoid",
    mask=None,
    go_backwards=False,
    zero_output_for_mask=False,
    recurrent_mask=None,
):
    """The layer over time, step by step, with TensorFlow's masking rules: a masked step keeps
    the states and outputs the previous output (zeros before any) or zeros."""
    act, rec = _ACT[activation], _ACT[recurrent_activation]
    states = list(states)
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outputs, previous = [], np.zeros_like(states[0])
    for t in steps:
        new = _step(cell, x[:, t], states, kernel, rk, bias, act, rec, recurrent_mask)
        out = new[0]
        if mask is not None:
            m = mask[:, t, None]
            out = np.where(m, out, 0.0 if zero_output_for_mask else previous)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
        outputs.append(out)
        previous, states = out, new
    return (np.stack(outputs, axis=1), *states)


# ------------------------------------------------------------------ helpers


def _ours(cell, *tensors, **options):
    """Our primitive on (x, kernel, rk, bias, h0[, c0]); bias None means use_bias=False."""
    if cell == "simple_rnn":
        options.pop("recurrent_activation", None)
        return ops.simple_rnn(*tensors, **options)
    if cell == "lstm":
        return ops.lstm(*tensors, **options)
    return ops.gru(*tensors, reset_after=cell == "gru", **options)


def _bias_shape(cell, u=U):
    return {"simple_rnn": (u,), "lstm": (4 * u,), "gru": (2, 3 * u), "gru_v1": (3 * u,)}[cell]


def _inputs(cell, seed=0, dtype=np.float64, b=B, t=T, f=F, u=U, scale=0.6):
    rng = np.random.default_rng(seed)
    g = GATES[cell]
    arrays = [
        rng.normal(size=(b, t, f)),
        rng.normal(size=(f, g * u)) * scale,
        rng.normal(size=(u, g * u)) * scale,
        rng.normal(size=_bias_shape(cell, u)) * 0.3,
        rng.normal(size=(b, u)) * 0.5,
    ]
    if cell == "lstm":
        arrays.append(rng.normal(size=(b, u)) * 0.5)
    return [a.astype(dtype) for a in arrays]


def _joined(cell, use_bias, **options):
    """Tensors -> one Tensor holding every output and the final states (for gradcheck)."""

    def fn(*tensors):
        if not use_bias:
            tensors = tensors[:3] + (None,) + tensors[3:]
        results = _ours(cell, *tensors, **options)
        outputs = ops.reshape(results[0], (results[0].shape[0], -1))
        return ops.concatenate([outputs, *results[1:]], axis=1)

    return fn


CELLS = ["simple_rnn", "lstm", "gru", "gru_v1"]
OPTIONS = {
    "plain": {},
    "mask": {"mask": MASK},
    "mask-zero-output": {"mask": MASK, "zero_output_for_mask": True},
    "backwards": {"go_backwards": True},
    "backwards-mask": {"go_backwards": True, "mask": MASK},
    "recurrent-mask": {"recurrent_mask": np.random.default_rng(9).integers(0, 2, (B, U)) * 2.0},
    "everything": {
        "go_backwards": True, "mask": MASK, "zero_output_for_mask": True,
        "recurrent_mask": np.random.default_rng(8).integers(0, 2, (B, U)) * 2.0,
    },
}  # fmt: skip
ACTIVATIONS = [
    ("relu", "hard_sigmoid"),
    ("linear", "tanh"),
    ("sigmoid", "linear"),
    ("hard_sigmoid", "relu"),
]


# ------------------------------------------------------------------ reference and gradcheck


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("cell", CELLS)
def test_matches_reference_and_gradcheck(cell, options):
    arrays = _inputs(cell)
    expected = reference(cell, *arrays, **options)
    got = _ours(cell, *[Tensor(a) for a in arrays], **options)
    assert len(got) == len(expected)
    for ours, ref in zip(got, expected):
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12, atol=1e-12)
    # through outputs and final states, w.r.t. x, kernel, recurrent kernel, bias, h0 (c0)
    assert gradcheck(_joined(cell, True, **options), *arrays)


@pytest.mark.parametrize("cell", CELLS)
def test_without_bias(cell):
    arrays = _inputs(cell, seed=1)
    del arrays[3]
    options = {"mask": MASK, "go_backwards": True}
    expected = reference(cell, *arrays[:3], None, *arrays[3:], **options)
    got = _ours(
        cell, *[Tensor(a) for a in arrays[:3]], None, *[Tensor(a) for a in arrays[3:]], **options
    )
    for ours, ref in zip(got, expected):
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert gradcheck(_joined(cell, False, **options), *arrays)


@pytest.mark.parametrize("act,rec", ACTIVATIONS, ids=[f"{a}-{r}" for a, r in ACTIVATIONS])
@pytest.mark.parametrize("cell", CELLS)
def test_every_fast_activation(cell, act, rec):
    if cell == "simple_rnn" and rec != ACTIVATIONS[0][1]:
        act = rec  # simple_rnn has one activation: cover the others through this argument
    # hard_sigmoid: weights large enough to reach its clipped parts; with an unbounded
    # recurrent activation, small enough that the states do not blow up
    arrays = _inputs(cell, seed=2, scale=1.5 if rec == "hard_sigmoid" else 0.5)
    options = {"activation": act, "recurrent_activation": rec, "mask": MASK}
    expected = reference(cell, *arrays, **options)
    got = _ours(cell, *[Tensor(a) for a in arrays], **options)
    for ours, ref in zip(got, expected):
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12, atol=1e-12)
    assert gradcheck(_joined(cell, True, **options), *arrays)


@pytest.mark.parametrize("cell", CELLS)
def test_float32_in_float32_out(cell):
    arrays = _inputs(cell, seed=3, dtype=np.float32)
    got = _ours(cell, *[Tensor(a, requires_grad=True) for a in arrays], mask=MASK)
    expected = reference(cell, *[a.astype(np.float64) for a in arrays], mask=MASK)
    for ours, ref in zip(got, expected):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-5, atol=1e-6)


def test_one_tape_node_per_call_and_independent_of_length():
    def tape_length(t):
        arrays = _inputs("lstm", t=t)
        tensors = [Tensor(a, requires_grad=True) for a in arrays]
        outputs, h, c = ops.lstm(*tensors)
        loss = ops.sum(outputs) + ops.sum(h) + ops.sum(c)
        from neuroflow.tensor import topological_order

        return sum(node._ctx is not None for node in topological_order([loss]))

    assert tape_length(3) == tape_length(40)  # no node per timestep
    arrays = _inputs("lstm")
    outputs, h, c = ops.lstm(*[Tensor(a, requires_grad=True) for a in arrays])
    assert outputs._ctx.parents[0] is h._ctx.parents[0] is c._ctx.parents[0]
    assert isinstance(outputs._ctx.parents[0]._ctx, recurrent.LSTM)


@pytest.mark.parametrize("cell", CELLS)
def test_backward_twice_gives_the_same_gradients(cell):
    # backward must not modify what forward saved: the graph can be walked again
    arrays = _inputs(cell, seed=4)
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    results = _ours(cell, *tensors, mask=MASK, recurrent_mask=np.full((B, U), 2.0))
    loss = ops.sum(ops.square(results[0])) + ops.sum(results[-1])
    loss.backward()
    first = [t.grad.copy() for t in tensors]
    loss.backward()
    for t, g in zip(tensors, first):
        np.testing.assert_allclose(t.grad, 2 * g, rtol=1e-12)


def _call_and_grads(cell, seed, **options):
    """(outputs, final state, gradients) of one call with a loss over outputs and state."""
    tensors = [Tensor(a, requires_grad=True) for a in _inputs(cell, seed=seed)]
    results = _ours(cell, *tensors, **options)
    loss = ops.sum(ops.square(results[0])) + ops.sum(results[-1])
    return results, loss, tensors


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_pooled_buffers_are_never_shared_between_live_calls(cell, go_backwards):
    # saved arrays and scratch come from a pool: a second call made before the first one's
    # backward, calls after the first graph is freed, and every returned array must keep
    # their own values
    options = {"mask": MASK, "go_backwards": go_backwards}
    expected = {}
    for seed in (6, 7):
        results, loss, tensors = _call_and_grads(cell, seed, **options)
        loss.backward()
        expected[seed] = [r.numpy().copy() for r in results] + [t.grad for t in tensors]
        del results, loss, tensors
    results_a, loss_a, tensors_a = _call_and_grads(cell, 6, **options)
    results_b, loss_b, tensors_b = _call_and_grads(cell, 7, **options)  # a still alive
    loss_b.backward()
    loss_a.backward()
    got = {
        6: [r.numpy() for r in results_a] + [t.grad for t in tensors_a],
        7: [r.numpy() for r in results_b] + [t.grad for t in tensors_b],
    }
    del loss_a, loss_b, results_b, tensors_b  # b's buffers go back to the pool
    for seed in (8, 9, 8):  # reuse them
        results, loss, tensors = _call_and_grads(cell, seed, **options)
        loss.backward()
    for seed in (6, 7):
        for value, want in zip(got[seed], expected[seed]):
            np.testing.assert_array_equal(value, want)
    assert recurrent._POOL  # the pool is in use (and bounded)
    assert recurrent._POOL_BYTES[0] <= recurrent._POOL_LIMIT


def test_no_gradient_for_inputs_that_need_none():
    arrays = _inputs("gru")
    x = Tensor(arrays[0])
    weights = [Tensor(a, requires_grad=True) for a in arrays[1:4]]
    h0 = Tensor(arrays[4])
    outputs, h = ops.gru(x, *weights, h0)
    ops.sum(outputs).backward()
    assert x.grad is None and h0.grad is None
    assert all(w.grad is not None and w.grad.shape == w.shape for w in weights)


def test_all_true_mask_is_no_mask():
    arrays = [Tensor(a) for a in _inputs("lstm", seed=5)]
    plain = ops.lstm(*arrays)
    masked = ops.lstm(*arrays, mask=np.ones((B, T), bool), zero_output_for_mask=True)
    for a, b in zip(plain, masked):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ------------------------------------------------------------------ PyTorch


def _torch_module(torch, cell, arrays, activation):
    """A torch nn.RNN/LSTM/GRU holding our weights (torch: LSTM i,f,g,o with two biases; GRU
    r,z,n, which is Keras's reset_after=True variant)."""
    x, kernel, rk, bias = arrays[:4]
    f, u = kernel.shape[0], rk.shape[0]
    if cell == "simple_rnn":
        module = torch.nn.RNN(f, u, batch_first=True, nonlinearity=activation)
        order, b_in, b_rec = np.arange(u), bias, np.zeros_like(bias)
    elif cell == "lstm":
        module = torch.nn.LSTM(f, u, batch_first=True)
        order, b_in, b_rec = np.arange(4 * u), bias, np.zeros_like(bias)
    else:
        module = torch.nn.GRU(f, u, batch_first=True)
        order = np.r_[u : 2 * u, 0:u, 2 * u : 3 * u]  # Keras z, r, h -> torch r, z, n
        b_in, b_rec = bias
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.tensor(kernel[:, order].T))
        module.weight_hh_l0.copy_(torch.tensor(rk[:, order].T))
        module.bias_ih_l0.copy_(torch.tensor(b_in[order]))
        module.bias_hh_l0.copy_(torch.tensor(b_rec[order]))
    return module.double() if x.dtype == np.float64 else module, order


@pytest.mark.parametrize("go_backwards", [False, True], ids=["forward", "backwards"])
@pytest.mark.parametrize("cell,activation", [("simple_rnn", "tanh"), ("simple_rnn", "relu"),
                                             ("lstm", "tanh"), ("gru", "tanh")])  # fmt: skip
def test_matches_pytorch(cell, activation, go_backwards):
    torch = peer("torch")
    arrays = _inputs(cell, seed=6, dtype=np.float32, b=8, t=12, f=5, u=6)
    module, order = _torch_module(torch, cell, arrays, activation)
    x = torch.tensor(arrays[0][:, ::-1].copy() if go_backwards else arrays[0], requires_grad=True)
    states = [torch.tensor(s[None], requires_grad=True) for s in arrays[4:]]
    t_out, t_states = module(x, tuple(states) if cell == "lstm" else states[0])
    t_states = t_states if cell == "lstm" else (t_states,)

    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    options = {"go_backwards": go_backwards}
    if cell == "simple_rnn":
        options["activation"] = activation
    ours = _ours(cell, *tensors, **options)
    np.testing.assert_allclose(ours[0].numpy(), t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    for mine, theirs in zip(ours[1:], t_states):
        np.testing.assert_allclose(mine.numpy(), theirs[0].detach().numpy(), rtol=1e-5, atol=1e-6)

    rng = np.random.default_rng(7)
    weights = [rng.normal(size=r.shape).astype(np.float32) for r in ours]
    loss = sum(ops.sum(r * w) for r, w in zip(ours, weights))
    loss.backward()
    t_loss = (t_out * torch.tensor(weights[0])).sum()
    for s, w in zip(t_states, weights[1:]):
        t_loss = t_loss + (s[0] * torch.tensor(w)).sum()
    t_loss.backward()

    def close(ours_grad, theirs):
        np.testing.assert_allclose(ours_grad, theirs.detach().numpy(), rtol=1e-4, atol=1e-5)

    dx = x.grad.numpy()
    close(tensors[0].grad, torch.tensor(dx[:, ::-1].copy() if go_backwards else dx))
    back = np.argsort(order)
    close(tensors[1].grad, module.weight_ih_l0.grad.T[:, back])
    close(tensors[2].grad, module.weight_hh_l0.grad.T[:, back])
    if cell == "gru":
        close(tensors[3].grad[0], module.bias_ih_l0.grad[back])
        close(tensors[3].grad[1], module.bias_hh_l0.grad[back])
    else:
        close(tensors[3].grad, module.bias_ih_l0.grad[back])
    for tensor, state in zip(tensors[4:], states):
        close(tensor.grad, state.grad[0])


# ------------------------------------------------------------------ Keras


KERAS_CASES = {
    "gru-v1-mask": ("gru_v1", {"mask": MASK}),
    "gru-v1-backwards-zero-output": (
        "gru_v1", {"mask": MASK, "go_backwards": True, "zero_output_for_mask": True}),
    "gru-mask": ("gru", {"mask": MASK, "zero_output_for_mask": True}),
    "lstm-backwards-mask": ("lstm", {"mask": MASK, "go_backwards": True}),
    "simple-rnn-mask-relu": ("simple_rnn", {"mask": MASK, "activation": "relu"}),
    "lstm-hard-sigmoid": ("lstm", {"recurrent_activation": "hard_sigmoid", "mask": MASK}),
}  # fmt: skip


@pytest.mark.parametrize("cell,options", KERAS_CASES.values(), ids=KERAS_CASES.keys())
def test_matches_keras_layers(cell, options):
    keras = peer("keras")
    arrays = _inputs(cell, seed=10, dtype=np.float32)
    x, kernel, rk, bias, *states = arrays
    layer_options = {k: v for k, v in options.items() if k != "mask"}
    if cell == "simple_rnn":
        layer = keras.layers.SimpleRNN(U, **layer_options, return_sequences=True,
                                       return_state=True)  # fmt: skip
    elif cell == "lstm":
        layer = keras.layers.LSTM(U, **layer_options, return_sequences=True, return_state=True)
    else:
        layer = keras.layers.GRU(U, **layer_options, reset_after=cell == "gru",
                                 return_sequences=True, return_state=True)  # fmt: skip
    layer.build((B, T, F))
    layer.set_weights([kernel, rk, bias])
    expected = layer(x, mask=options["mask"], initial_state=states)
    got = _ours(cell, *[Tensor(a) for a in arrays], **options)
    assert len(got) == len(expected)
    for ours, theirs in zip(got, expected):
        np.testing.assert_allclose(ours.numpy(), np.asarray(theirs), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------ bad input


def _bad(cell, index=None, value=None, **options):
    arrays = _inputs(cell)
    if index is not None:
        arrays[index] = value
    _ours(cell, *[Tensor(a) for a in arrays], **options)


BAD = {
    "x-2d": ("lstm", 0, np.zeros((B, F)), r"lstm: expected `x` of shape \(batch, timesteps, "
             r"features\). Received: x.shape=\(4, 3\)"),
    "kernel": ("gru", 1, np.zeros((F + 1, 3 * U)),
               r"gru: expected `kernel` of shape \(3, 9\).*Received: kernel.shape=\(4, 9\)"),
    "recurrent-kernel": ("lstm", 2, np.zeros((U, 3 * U)),
                         r"recurrent_kernel.shape=\(3, 9\)"),
    "gru-bias-v2": ("gru", 3, np.zeros(3 * U),
                    r"expected `bias` of shape \(2, 9\).*Received: bias.shape=\(9,\)"),
    "gru-bias-v1": ("gru_v1", 3, np.zeros((2, 3 * U)),
                    r"expected `bias` of shape \(9,\).*Received: bias.shape=\(2, 9\)"),
    "h0": ("simple_rnn", 4, np.zeros((B + 1, U)),
           r"expected `h0` of shape \(4, 3\).*Received: h0.shape=\(5, 3\)"),
    "c0": ("lstm", 5, np.zeros((B, U + 1)), r"Received: c0.shape=\(4, 4\)"),
}  # fmt: skip


@pytest.mark.parametrize("cell,index,value,match", BAD.values(), ids=BAD.keys())
def test_bad_shapes(cell, index, value, match):
    with pytest.raises(ValueError, match=match):
        _bad(cell, index, value)


@pytest.mark.parametrize(
    "options,match",
    [
        ({"mask": MASK[:, :-1]}, r"expected `mask` of shape .* = \(4, 5\). "
                                 r"Received: mask.shape=\(4, 4\)"),
        ({"recurrent_mask": np.ones((B, U + 2))}, r"Received: recurrent_mask.shape=\(4, 5\)"),
        ({"activation": "elu"}, r"unknown activation='elu'; expected one of \['hard_sigmoid'"),
        ({"recurrent_activation": "softmax"}, r"unknown recurrent_activation='softmax'"),
    ],
    ids=["mask", "recurrent-mask", "activation", "recurrent-activation"],
)  # fmt: skip
def test_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        _bad("lstm", **options)


def test_fast_activations_are_the_documented_set():
    assert recurrent.FAST_ACTIVATIONS == {"tanh", "sigmoid", "relu", "linear", "hard_sigmoid"}
