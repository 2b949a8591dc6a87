"""Atomic file writing: write to a temporary file beside the target, rename when complete.

A write goes to a hidden *part* beside the target, named
``.<stem>.<host>.<pid>.<random>.part<suffix>`` (host and process id of the writer), and is
renamed onto the target only when complete. A failed write removes its part; a write killed
outright (SIGKILL, power loss) cannot, so the next write to the same target removes the
parts of that target that are *stale* (:func:`stale_parts`):

- a part written on this host whose writer process no longer exists, or
- a part not modified for :data:`STALE_AFTER_S` seconds (1 hour), whatever wrote it (another
  host sharing the folder, whose processes cannot be checked, or a part from before the
  writer's pid was recorded in the name).

A part whose writer is still running on this host is never touched, so two processes writing
the same target at once do not delete each other's work (the later rename wins).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_target", "stale_parts", "STALE_AFTER_S"]

#: A part not modified for this long (s) is stale even if its writer cannot be checked.
STALE_AFTER_S = 3600.0


def _host_tag() -> str:
    """The machine name, reduced to characters safe in a file name (at most 32)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


def check_target(path: str | os.PathLike[str], *, overwrite: bool) -> Path:
    """Check that ``path`` may be written.

    Parameters
    ----------
    path : path-like
        Target file.
    overwrite : bool
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileExistsError
        If the file exists and ``overwrite`` is False.
    FileNotFoundError
        If the parent folder does not exist.
    PermissionError
        If the parent folder is not writable.
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it.")
    if not target.parent.exists():
        raise FileNotFoundError(f"folder {target.parent} does not exist; create it first.")
    if not os.access(target.parent, os.W_OK):
        raise _not_writable(target.parent)
    return target


def _not_writable(folder: Path, reason: str = "permission denied") -> PermissionError:
    return PermissionError(
        f"cannot write to folder {folder} ({reason}); choose a folder you can write to or "
        "change its permissions."
    )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (True when it cannot be told)."""
    if os.name == "nt":  # os.kill would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to another user
        return True
    return True


def _newest_mtime(path: Path) -> float:
    """Latest modification time of a file, or of a folder and everything in it."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        for root, dirs, files in os.walk(path):
            for name in dirs + files:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
    return newest


def _part_pattern(target: Path) -> re.Pattern[str]:
    """Names of the parts (and set-aside old folders) of ``target`` only."""
    stem, suffix = re.escape(target.stem), re.escape(target.suffix)
    return re.compile(
        rf"^\.{stem}\.(?:(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.)?[A-Za-z0-9_]+\.part{suffix}$"
        rf"|^\.{re.escape(target.name)}\.(?P<ohost>[A-Za-z0-9-]+)\.(?P<opid>\d+)\.old$"
    )


def stale_parts(
    path: str | os.PathLike[str], *, max_age: float = STALE_AFTER_S, now: float | None = None
) -> list[Path]:
    """Leftover temporary parts of the target ``path`` that no running writer owns.

    Parameters
    ----------
    path : path-like
        The target file or folder.
    max_age : float, default STALE_AFTER_S (3600 s)
        A part not modified for this long is stale whatever wrote it.
    now : float, optional
        Current time (s since the epoch); default ``time.time()``.

    Returns
    -------
    list of pathlib.Path
        Parts of this target only (other targets' parts never match), sorted by name: those
        written on this host by a process that no longer exists, and those older than
        ``max_age``.
    """
    target = Path(path)
    pattern = _part_pattern(target)
    now = time.time() if now is None else now
    host = _host_tag()
    stale = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return []
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        writer_host = match.group("host") or match.group("ohost")
        pid = match.group("pid") or match.group("opid")
        try:
            if writer_host == host and pid is not None and not _pid_alive(int(pid)):
                stale.append(entry)
            elif now - _newest_mtime(entry) > max_age:
                stale.append(entry)
        except OSError:  # vanished meanwhile (its writer finished or another cleaner ran)
            continue
    return stale


def _clean_stale_parts(target: Path) -> None:
    """Remove the stale parts of ``target``; a set-aside old folder is put back if the target is gone."""
    for part in stale_parts(target):
        with contextlib.suppress(OSError):  # another process may be cleaning too
            if part.name.endswith(".old") and not target.exists():
                os.replace(part, target)  # killed between the two renames of a folder swap
            else:
                _remove(part)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; move it onto ``path`` only on success.

    Works for files and for folders (zarr stores). If the body raises, the temporary file or
    folder is removed and any previous one at ``path`` is left intact. A folder that replaces
    an old one is swapped in with two renames (old aside, new in) and the old one deleted
    afterwards. Before writing, stale parts of the same target left by a killed writer are
    removed (see the module docstring for the rule: a running writer's part is never touched).

    Parameters
    ----------
    path : path-like
        Final file or folder path.
    overwrite : bool, default False
        Replace an existing file or folder.

    Yields
    ------
    pathlib.Path
        Where to write (does not exist yet; keeps the target's extension).

    Raises
    ------
    FileExistsError
        If the target exists and ``overwrite`` is False.
    FileNotFoundError
        If the target's folder does not exist.
    PermissionError
        If the target's folder is not writable (or the file system is read-only).
    """
    target = Path(path)
    if target.parent.is_dir():  # first, so that a folder hidden by a killed swap is back
        _clean_stale_parts(target)
    target = check_target(target, overwrite=overwrite)
    tag = f"{_host_tag()}.{os.getpid()}"
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.stem}.{tag}.", suffix=f".part{target.suffix}", dir=target.parent
        )
    except PermissionError:
        raise _not_writable(target.parent) from None
    except OSError as exc:  # e.g. a read-only file system (EROFS)
        raise _not_writable(target.parent, exc.strerror or type(exc).__name__) from None
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # writers that refuse to overwrite get a free name
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer produced nothing at {tmp}; {target} unchanged.")
        if target.exists() and not overwrite:
            raise FileExistsError(
                f"{target} appeared while writing; pass overwrite=True to replace it."
            )
        if tmp.is_dir() and target.exists():
            old = target.with_name(f".{target.name}.{tag}.old")
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except OSError:
                os.replace(old, target)
                raise
            _remove(old)
        else:
            os.replace(tmp, target)
    finally:
        _remove(tmp)
