"""Atomic file writes: a reader never sees a half-written file.

Each writer writes to a temporary file in the same folder, flushes it to disk and renames it over
the target, which is atomic on POSIX and Windows file systems.

Example:
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> write_json(p, {"accuracy": 0.9}); p.read_text()
    '{\\n  "accuracy": 0.9\\n}\\n'
"""
import json
import os
import shutil
import tempfile
from pathlib import Path


def plain_mode(folder=False):
    """The mode that `open` (0o666) or `mkdir` (0o777) would give, less the process's umask."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def atomic_write_bytes(path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename.

    The file gets the permissions of a file made by `open` (0o666 less the umask), not the owner-only
    0o600 of a temporary file, so a classmate or a web server can read a shared run folder.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, plain_mode())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    """Write `obj` as indented JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def nearest_existing(path) -> Path:
    """`path` itself if it exists, else its closest ancestor that does.

    >>> nearest_existing("/no/such/folder/here").as_posix()
    '/'
    """
    path = Path(os.path.abspath(path))
    while not os.path.lexists(path):
        path = path.parent
    return path


def check_can_write(path, option, need_bytes=0):
    """Raise WriteError unless a file or folder can be made at `path` (with `need_bytes` free).

    It probes the closest existing folder by making and removing an empty folder in it, so a
    read-only disk, a missing permission or a path under a file is found before any work starts.
    The error names `option` (e.g. "--out") and the path at fault.
    """
    from .errors import WriteError
    base = nearest_existing(Path(path).parent)
    if not base.is_dir():
        raise WriteError(f"{option} {path}: {base} is a file, not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(dir=base, prefix=".lorakit-probe-"))
    except OSError as e:
        raise WriteError(f"{option} {path}: cannot write in {base} ({e.strerror or e})") from None
    free = shutil.disk_usage(base).free
    if free < need_bytes:
        raise WriteError(f"{option} {path}: only {free / 2**20:.1f} MB free on its disk, and this "
                          f"needs about {need_bytes / 2**20:.0f} MB")


def same_file(a, b) -> bool:
    """True when the paths `a` and `b` name the same file (through links, `..` or case too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return Path(os.path.abspath(a)) == Path(os.path.abspath(b))
