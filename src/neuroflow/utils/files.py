"""Writing files so that a crash never leaves a half-written one behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target):
    """Yields a temporary path beside ``target``; on success it replaces ``target`` at once.

    The data is flushed to disk before the rename, and the rename is atomic, so readers see
    either the old file or the complete new one. On any error the temporary file is removed
    and ``target`` is untouched. The file gets the permissions a plain ``open(target, "w")``
    would give it (those of the file it replaces, else the umask's), not the private ones of
    a temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(target: Path) -> int:
    """The permissions ``open(target, "w")`` would leave: the existing file's, else the umask's."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(target, data: bytes) -> None:
    """Writes ``data`` to ``target`` atomically (see :func:`atomic_path`)."""
    with atomic_path(target) as tmp:
        Path(tmp).write_bytes(data)


def neuroflow_home() -> Path:
    """The library's home folder: ``$NEUROFLOW_HOME``, else ``~/.neuroflow`` (Keras: ``~/.keras``).

    Examples
    --------
    >>> neuroflow_home().name in ("", ".neuroflow") or "NEUROFLOW_HOME" in os.environ
    True
    """
    root = os.environ.get("NEUROFLOW_HOME") or str(Path.home() / ".neuroflow")
    return Path(root).expanduser()
