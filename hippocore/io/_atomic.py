"""Atomic file writing: write to a temporary file beside the target, rename when complete."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "check_target"]


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
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} already exists; pass overwrite=True to replace it.")
    if not target.parent.exists():
        raise FileNotFoundError(f"folder {target.parent} does not exist; create it first.")
    return target


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; move it onto ``path`` only on success.

    Works for files and for folders (zarr stores). If the body raises (or the process is
    interrupted), the temporary file or folder is removed and any previous one at ``path`` is
    left intact. A folder that replaces an old one is swapped in with two renames (old aside,
    new in) and the old one deleted afterwards.

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
    """
    target = check_target(path, overwrite=overwrite)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".part{target.suffix}", dir=target.parent
    )
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
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
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
