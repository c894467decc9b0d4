"""``import neuroflow`` stays light: no matplotlib, scikit-learn, Dask or tensorboardX, and
well under a second; ``neuroflow.viz`` imports matplotlib only when a picture is drawn, and a
picture without matplotlib names the command that installs it.

Each check runs in a fresh interpreter, as a user's program would start.
"""

import json
import os
import subprocess
import sys

HEAVY = ["matplotlib", "sklearn", "dask", "distributed", "tensorboardX", "tensorboard",
         "tensorflow", "torch", "scipy", "pandas"]  # fmt: skip


def _run(code: str) -> str:
    env = {**os.environ, "NEUROFLOW_NUM_THREADS": "1"}
    env.pop("MPLBACKEND", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_import_neuroflow_imports_no_optional_extra():
    code = (
        f"import sys, json, neuroflow; print(json.dumps(sorted(set({HEAVY}) & set(sys.modules))))"
    )
    assert json.loads(_run(code)) == []


def test_import_neuroflow_takes_well_under_a_second():
    # CPU seconds of the import in a fresh interpreter, numpy included: what it costs on an
    # idle machine. The wall time on a machine shared with other work grows with its load.
    code = "import time; c = time.process_time(); import neuroflow; print(time.process_time() - c)"
    seconds = min(float(_run(code)) for _ in range(3))
    assert seconds < 1.0, f"import neuroflow took {seconds:.2f} CPU seconds"


def test_neuroflow_viz_does_not_import_matplotlib():
    code = (
        "import sys, neuroflow.viz as viz; viz.plot_history; viz.plot_weights; "
        "viz.plot_images; viz.plot_confusion_matrix; "
        "print('matplotlib' in sys.modules, 'sklearn' in sys.modules)"
    )
    assert _run(code) == "False False"


PICTURES = [
    "plot_history({'loss': [1.0, 0.5]})",
    "plot_weights(np.ones((4, 2)), shape=(2, 2))",
    "plot_aggregated_weights(np.ones((4, 2)), shape=(2, 2))",
    "plot_images(np.zeros((2, 4, 4)))",
    "plot_misclassified(model, np.eye(2, dtype='float32'), [1, 0], shape=(1, 2))",
    "plot_confusion_matrix([0, 1], [0, 1])",
    "plot_roc([0, 1], [0.2, 0.7])",
    "plot_decision_boundary(model, np.eye(2), [0, 1])",
]


def test_a_picture_without_matplotlib_names_the_install_command():
    code = f"""
import json, sys
sys.modules["matplotlib"] = None  # as if the viz extra were not installed
import numpy as np
from neuroflow.viz import *
from neuroflow.keras import layers, models
model = models.Sequential([layers.Input((2,)), layers.Dense(2, activation="softmax")])
messages = []
for call in {PICTURES!r}:
    try:
        eval(call)
    except ImportError as e:
        messages.append(str(e))
    else:
        messages.append("no error")
print(json.dumps(messages))
"""
    for call, message in zip(PICTURES, json.loads(_run(code))):
        assert 'Install it with: pip install "neuroflow[viz]"' in message, (call, message)
        assert "matplotlib" in message, (call, message)
