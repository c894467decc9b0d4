"""A process killed while writing checkpoints never leaves an unreadable one."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from neuroflow.io import load_model

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    import neuroflow as nf
    from neuroflow.keras import layers
    path = sys.argv[1]
    model = nf.keras.Sequential([nf.keras.Input((784,)), layers.Dense(1024, activation="relu"),
                                 layers.Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    x = np.random.rand(64, 784).astype("float32")
    y = nf.utils.to_categorical(np.random.randint(0, 10, 64), 10)
    checkpoint = nf.callbacks.ModelCheckpoint(path)
    print("ready", flush=True)
    model.fit(x, y, epochs=10_000, batch_size=64, verbose=0, callbacks=[checkpoint])
""")


def kill_while_saving(directory, delay):
    """Starts the writer, waits for a first checkpoint, SIGKILLs it ``delay`` s later."""
    target = directory / "checkpoint.nf"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.time() + 60
        while not target.exists() and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(delay)  # each save writes ~13 MB, so most kills land inside one
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    return target


def test_sigkill_mid_checkpoint_leaves_a_readable_file(tmp_path):
    interrupted = 0
    delays = [0.05, 0.12, 0.2, 0.27, 0.33, 0.41, 0.45, 0.53, 0.61, 0.7, 0.8, 1.3]
    for i, delay in enumerate(delays):
        directory = tmp_path / f"run{i}"
        directory.mkdir()
        target = kill_while_saving(directory, delay)
        # a temporary file left behind means the kill came in the middle of a write
        interrupted += any(p.name.endswith(".part") for p in directory.iterdir())
        model = load_model(target)  # whatever happened, the checkpoint is whole
        out = model.predict(np.zeros((1, 784), np.float32), verbose=0)
        assert out.shape == (1, 10) and np.isfinite(out).all()
        assert model.optimizer.iterations >= 1
    # about half of the kills land inside a write; requiring one keeps the test honest
    # (it proves the hazard was exercised) without being flaky
    assert interrupted >= 1, f"none of {len(delays)} kills interrupted a write"
