"""``get_file``: Keras's cached download, with atomic writes and safe archive extraction.

Files land in ``<cache_dir>/<cache_subdir>/<fname>``, ``cache_dir`` defaulting to the library's
home (``$NEUROFLOW_HOME``, else ``~/.neuroflow``) where Keras uses ``~/.keras``. A download
goes to a temporary file beside its target and is renamed into place only once complete and
matching ``file_hash``, so the cache never holds a half-written or corrupted file. Archives are
checked member by member before anything is written: one whose paths or links would land
outside the extraction folder is refused whole (Keras skips such members with a warning).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import socket
import sys
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from pathlib import Path

from neuroflow.utils.files import atomic_path, neuroflow_home
from neuroflow.utils.progbar import Progbar

__all__ = ["extract_archive", "get_file", "hash_file", "validate_file"]

_CHUNK = 1 << 16
_REMOTE_SCHEMES = ("http", "https", "ftp")


def _hasher(algorithm: str, file_hash=None):
    """Keras's rule: "auto" means SHA-256 for a 64-digit hash, MD5 otherwise."""
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()  # noqa: S324 (integrity check of a legacy md5_hash, not security)
    raise ValueError(
        "Invalid value for argument `hash_algorithm`: expected 'auto', 'sha256' or 'md5'. "
        f"Received: hash_algorithm={algorithm!r}"
    )


def hash_file(fpath, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """The hex SHA-256 (or MD5) digest of the file at ``fpath``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty"
    >>> _ = path.write_bytes(b"")
    >>> hash_file(path)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash: str, algorithm: str = "auto", chunk_size: int = 65535):
    """Whether the file at ``fpath`` has the SHA-256 or MD5 digest ``file_hash``."""
    actual = hash_file(fpath, _hasher(algorithm, file_hash), chunk_size)
    return actual == str(file_hash).lower()


# --- safe extraction ---------------------------------------------------------------------------


def _within(base: str, path: str) -> bool:
    """Whether ``path`` resolves to a place inside ``base`` (a resolved folder)."""
    try:
        return os.path.commonpath([os.path.realpath(path), base]) == base
    except ValueError:  # another drive on Windows
        return False


def _inside(base: str, relative: str) -> bool:
    """Whether the archive member name ``relative`` stays inside ``base`` once extracted."""
    if os.path.isabs(relative) or relative.startswith(("/", "\\")):
        return False
    return _within(base, os.path.join(base, relative))


def _check_tar_member(member: tarfile.TarInfo, base: str, archive: str) -> None:
    problem = None
    if not _inside(base, member.name):
        problem = "its path leads outside the extraction folder"
    elif member.issym() or member.islnk():
        # a symbolic link resolves from its own folder, a hard link from the archive's root
        start = os.path.dirname(os.path.join(base, member.name)) if member.issym() else base
        if os.path.isabs(member.linkname) or not _within(
            base, os.path.join(start, member.linkname)
        ):
            problem = f"it links to {member.linkname!r}, outside the extraction folder"
    elif not (member.isfile() or member.isdir()):
        problem = "it is a device or pipe, not a file or folder"
    if problem:
        raise ValueError(
            f"Refusing to extract the archive {archive}: its member {member.name!r} is unsafe "
            f"({problem}). Nothing was extracted."
        )


def _extract_tar(archive: tarfile.TarFile, path: str, name: str) -> None:
    members = archive.getmembers()
    for member in members:
        _check_tar_member(member, path, name)
    kwargs = {}
    if hasattr(tarfile, "data_filter"):  # Python 3.12, 3.11.4+: a second line of defence
        kwargs["filter"] = "data"
    archive.extractall(path, members=members, **kwargs)  # noqa: S202 (members checked above)


def _extract_zip(archive: zipfile.ZipFile, path: str, name: str) -> None:
    for info in archive.infolist():
        if not _inside(path, info.filename):
            raise ValueError(
                f"Refusing to extract the archive {name}: its member {info.filename!r} is unsafe "
                "(its path leads outside the extraction folder). Nothing was extracted."
            )
    archive.extractall(path)  # noqa: S202 (members checked above)


def _formats(archive_format) -> list[str]:
    if archive_format is None:
        return []
    if archive_format == "auto":
        return ["tar", "zip"]
    formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for fmt in formats:
        if fmt not in ("tar", "zip"):
            raise ValueError(
                "Invalid value for argument `archive_format`: expected 'auto', 'tar', 'zip', "
                f"a list of those, or None. Received: archive_format={archive_format!r}"
            )
    return formats


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Extracts a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``, ``.tar.xz``) or zip archive.

    The archive is unpacked into a temporary folder beside ``path``, which then replaces
    ``path`` as a whole: a failure leaves no partial folder. Members whose path or link target
    would escape ``path`` (``../``, absolute names) make it refuse the archive with a
    ``ValueError``.

    Returns
    -------
    bool
        True if the file matched one of ``archive_format`` and was extracted, else False.
    """
    file_path, path = os.fspath(file_path), os.fspath(path)
    for fmt in _formats(archive_format):
        is_match = tarfile.is_tarfile if fmt == "tar" else zipfile.is_zipfile
        if not is_match(file_path):
            continue
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=parent, prefix=f".{os.path.basename(path)}.", suffix=".part")
        try:
            base = os.path.realpath(tmp)
            if fmt == "tar":
                with tarfile.open(file_path) as archive:
                    _extract_tar(archive, base, file_path)
            else:
                with zipfile.ZipFile(file_path) as archive:
                    _extract_zip(archive, base, file_path)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.remove(path)
            os.replace(tmp, path)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return True
    return False


# --- downloading -------------------------------------------------------------------------------


def _is_local(origin: str) -> bool:
    return "://" not in origin


def _fetch_error(origin: str, target: str, exc: BaseException) -> OSError:
    """A clear error for a failed fetch: what happened and what the user can do."""
    remedy = (
        f"Download it another way and copy it to {target} (get_file then uses the cached "
        "file), or pass its local path or a file:// URL as `origin`."
    )
    if isinstance(exc, urllib.error.HTTPError):
        return OSError(f"URL fetch failure on {origin}: {exc.code} -- {exc.reason}. {remedy}")
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    host = urllib.parse.urlsplit(origin).hostname
    if isinstance(reason, socket.gaierror):
        return ConnectionError(
            f"URL fetch failure on {origin}: the host {host!r} could not be resolved ({reason}). "
            "This machine seems to be offline or without DNS: connect it to the network and "
            f"call get_file again. {remedy}"
        )
    if isinstance(reason, (TimeoutError, socket.timeout, ConnectionError)):
        return ConnectionError(
            f"URL fetch failure on {origin}: {reason}. The server could not be reached: check "
            f"the network connection and the URL, then call get_file again. {remedy}"
        )
    return OSError(f"URL fetch failure on {origin}: {reason}. {remedy}")


def _copy_stream(source, out, total, hasher, bar: Progbar) -> int:
    size = 0
    while chunk := source.read(_CHUNK):
        out.write(chunk)
        hasher.update(chunk)
        size += len(chunk)
        bar.update(size, finalize=False)
    bar.update(size, finalize=True)
    return size


def _download(origin, target, file_hash, hash_algorithm) -> None:
    """Fetches ``origin`` into ``target`` atomically, checking its length and hash."""
    hasher = _hasher(hash_algorithm, file_hash)
    with atomic_path(target) as tmp, open(tmp, "wb") as out:
        if _is_local(origin):
            local = Path(origin).expanduser()
            if not local.is_file():
                raise FileNotFoundError(
                    f"get_file: origin={origin!r} is neither a URL nor an existing file."
                )
            total = local.stat().st_size
            with open(local, "rb") as source:
                size = _copy_stream(source, out, total, hasher, Progbar(total))
        else:
            try:
                with urllib.request.urlopen(origin, timeout=60) as response:  # noqa: S310
                    total = int(response.headers.get("Content-Length") or 0) or None
                    size = _copy_stream(response, out, total, hasher, Progbar(total))
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                raise _fetch_error(origin, target, exc) from exc
            # http.client ends a body cut short by the server without an error
            if total is not None and size != total:
                raise OSError(
                    f"URL fetch failure on {origin}: the download stopped after {size} of "
                    f"{total} bytes. Call get_file again to retry."
                )
        out.flush()
        if file_hash is not None and hasher.hexdigest() != file_hash:
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hasher.name} file hash of the "
                f"data from {origin} is {hasher.hexdigest()}, which does not match the provided "
                f"value of {file_hash}. The file was not kept in the cache."
            )


def _writable_home(cache_dir) -> str:
    base = os.path.expanduser(os.fspath(cache_dir))
    try:
        os.makedirs(base, exist_ok=True)
    except OSError:
        pass
    if not os.access(base, os.W_OK):  # as Keras: fall back to the temporary folder
        base = os.path.join(tempfile.gettempdir(), ".neuroflow")
    return base


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless it is already in the cache; returns its path.

    Keras 3's function, with the cache under the library's home rather than ``~/.keras``.

    Parameters
    ----------
    fname : str or path-like, optional
        Name of the file in the cache; the last part of ``origin`` when omitted. With
        ``extract=True``, a name without an extension names the extraction folder.
    origin : str
        An ``http(s)://`` or ``ftp://`` URL, a ``file://`` URL, or a local file path.
    untar : bool, default False
        Deprecated spelling of ``extract=True, archive_format="tar"``.
    md5_hash : str, optional
        Deprecated spelling of ``file_hash=..., hash_algorithm="md5"``.
    file_hash : str, optional
        Expected SHA-256 (64 hex digits) or MD5 digest of the file. A download that does not
        match raises ``ValueError`` and is not kept.
    cache_subdir : str, default "datasets"
        Folder under ``cache_dir``; an absolute path is used as it is.
    hash_algorithm : {"auto", "sha256", "md5"}, default "auto"
        "auto" picks SHA-256 for a 64-digit ``file_hash``, MD5 otherwise.
    extract : bool, default False
        Unpacks a tar or zip archive and returns the folder it was unpacked into.
    archive_format : {"auto", "tar", "zip"}, list of those, or None
        Formats to try when extracting; "auto" is ``["tar", "zip"]``.
    cache_dir : str or path-like, optional
        Defaults to ``$NEUROFLOW_HOME`` or ``~/.neuroflow`` (Keras: ``~/.keras``).
    force_download : bool, default False
        Downloads again even if the file is cached.

    Returns
    -------
    str
        The path of the file in the cache, or with ``extract=True`` (or ``untar=True``) the
        path of the extraction folder: ``<cache>/<name>`` when no ``fname`` was given (the
        archive is kept as ``<name>_archive``), ``<cache>/<stem>_extracted`` for an ``fname``
        with an extension, as in Keras 3.

    Raises
    ------
    ValueError
        No ``origin``, a ``fname`` with a folder in it, a hash mismatch, an unsafe archive.
    ConnectionError
        The host cannot be resolved or reached (offline): the message says what to do.
    OSError
        Any other failed fetch, such as an HTTP error or a body cut short.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> src = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
    >>> _ = src.write_text("hello")
    >>> path = get_file(origin=src.as_uri(), cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Downloading data from file://.../notes.txt
    ...
    >>> pathlib.Path(path).read_text()
    'hello'
    """
    if origin is None:
        raise ValueError(
            'Please specify the "origin" argument (URL of the file to download). '
            "Received: origin=None"
        )
    origin = os.fspath(origin) if isinstance(origin, os.PathLike) else origin
    if not isinstance(origin, str):
        raise TypeError(
            f"Expected `origin` to be a URL or a path string. Received: origin={origin!r} "
            f"of type {type(origin).__name__}"
        )
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        file_hash = str(file_hash).strip().lower()
    _hasher(hash_algorithm, file_hash)  # rejects an unknown algorithm before any work
    if extract or untar:
        _formats("tar" if untar else archive_format)

    datadir = os.path.join(_writable_home(cache_dir or neuroflow_home()), cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided_fname = fname
    fname = os.fspath(fname) if isinstance(fname, os.PathLike) else fname
    if not fname:
        path = origin if _is_local(origin) else urllib.parse.urlsplit(origin).path
        fname = os.path.basename(path.rstrip("/\\") if _is_local(origin) else path)
        if not fname:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. "
                "Please specify the `fname` argument."
            )
    elif os.sep in fname or "/" in fname:
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's "
            f"parent directory, use the `cache_dir` argument. Received: fname={fname}"
        )

    if extract or untar:
        if provided_fname and "." in fname:
            download_target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            download_target = os.path.join(datadir, f"{fname}_archive")
    else:
        download_target = os.path.join(datadir, fname)

    download = True
    if not force_download and os.path.exists(download_target):
        download = False
        if file_hash is not None and not validate_file(
            download_target, file_hash, algorithm=hash_algorithm
        ):
            print(
                "A local file was found, but it seems to be incomplete or outdated because the "
                f"{hash_algorithm} file hash does not match the original value of {file_hash} "
                "so we will re-download the data."
            )
            os.remove(download_target)  # known bad: never left behind if the download fails
            download = True
    if download:
        if not _is_local(origin) and urllib.parse.urlsplit(origin).scheme in _REMOTE_SCHEMES:
            if os.environ.get("NEUROFLOW_OFFLINE") == "1":
                raise ConnectionError(
                    f"Cannot download {origin}: downloads are disabled by NEUROFLOW_OFFLINE=1. "
                    f"Unset it, or copy the file to {download_target} beforehand, or pass its "
                    "local path or a file:// URL as `origin`."
                )
        print(f"Downloading data from {origin}")
        sys.stdout.flush()
        _download(origin, download_target, file_hash, hash_algorithm)

    if extract or untar:
        if download or not os.path.isdir(extraction_dir):
            fmt = "tar" if untar else archive_format
            if not extract_archive(download_target, extraction_dir, fmt):
                warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return download_target
