"""A machine-readable record of a benchmark run, written beside its printout.

Every benchmark in this folder runs its ``main`` inside :func:`recording`::

    if __name__ == "__main__":
        with recording("bench_classify") as rec:
            main()
            rec.figures["s_per_unit"] = ...  # optional: named numbers besides the printout

On success a JSON record goes to ``docs/results/records/<bench>.json`` (the default), or to
``--record PATH``; ``--no-record`` writes none. Both options are taken out of ``sys.argv``
before the benchmark parses its own. The record holds:

- ``bench``, ``command`` (the command line), ``started_utc``, ``finished_utc``, ``wall_s``;
- ``machine``: CPU model, logical cores, load average (1, 5, 15 min) at the start and the
  end, platform;
- ``versions``: python, numpy, torch (when the benchmark imported it), hippocore;
- ``git``: commit and whether the working tree had uncommitted changes (``dirty``);
- ``printed``: every line the benchmark printed, and ``figures``: what it set in
  ``rec.figures``.

The file is written atomically (a temporary file renamed into place), so a killed run leaves
the previous record intact. A failed run (an exception or ``SystemExit``) writes
no record; so does ``--help``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORDS = ROOT / "docs" / "results" / "records"

__all__ = ["RECORDS", "Recording", "recording", "record_options"]


def record_options(argv: list[str], bench: str) -> tuple[Path | None, list[str]]:
    """Where to write the record (None: nowhere) and ``argv`` without the record options."""
    target: Path | None = RECORDS / f"{bench}.json"
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--no-record":
            target = None
        elif arg == "--record" or arg.startswith("--record="):
            value = arg.split("=", 1)[1] if "=" in arg else None
            if value is None:
                if i + 1 >= len(argv):
                    raise SystemExit("--record needs a path: --record PATH (or --no-record).")
                i += 1
                value = argv[i]
            target = Path(value)
        else:
            rest.append(arg)
        i += 1
    return target, rest


class _Tee(io.TextIOBase):
    """Writes to the real stdout and keeps a copy."""

    def __init__(self, out: Any) -> None:
        self.out, self.copy = out, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


@dataclass
class Recording:
    """One run being recorded; set ``figures[name] = value`` to add named numbers."""

    bench: str
    target: Path | None
    command: list[str]
    figures: dict[str, Any] = field(default_factory=dict)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _git() -> dict[str, Any]:
    def run(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": run("rev-parse", "HEAD"), "dirty": None if status is None else bool(status)}


def _versions() -> dict[str, str | None]:
    import numpy

    from hippocore._version import __version__

    torch = sys.modules.get("torch")
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": getattr(torch, "__version__", None) if torch is not None else None,
        "hippocore": __version__,
    }


def _write(path: Path, record: dict[str, Any]) -> None:
    from hippocore.io._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, overwrite=True) as tmp:
        tmp.write_text(json.dumps(record, indent=1, default=str) + "\n", encoding="utf-8")


@contextmanager
def recording(bench: str) -> Iterator[Recording]:
    """Run the body as benchmark ``bench`` and write its record when it succeeds.

    Takes ``--record PATH`` / ``--no-record`` out of ``sys.argv`` first.
    """
    command = [Path(sys.executable).name, *sys.argv]
    target, sys.argv[1:] = record_options(sys.argv[1:], bench)
    rec = Recording(bench, target, command)
    started, t0, load0 = datetime.now(timezone.utc), time.perf_counter(), _load()
    tee = _Tee(sys.stdout)
    real, sys.stdout = sys.stdout, tee
    try:
        yield rec  # an exception or SystemExit (``--help`` too) ends the run without a record
    finally:
        sys.stdout = real
    _finish(rec, tee, started, t0, load0)


def _finish(rec: Recording, tee: _Tee, started: datetime, t0: float, load0: Any) -> None:
    if rec.target is None:
        return
    record = {
        "bench": rec.bench,
        "command": " ".join(rec.command),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "wall_s": round(time.perf_counter() - t0, 3),
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "load_average_start": load0,
            "load_average_end": _load(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "git": _git(),
        "printed": tee.copy.getvalue().splitlines(),
        "figures": rec.figures,
    }
    _write(rec.target, record)
    print(f"record: {rec.target}", flush=True)
