"""Argument checks shared by every layer.

Each helper turns user input into a clean numpy array or raises a ``ValueError`` /
``TypeError`` whose message names the argument, what was received and what was expected,
so that no numpy traceback from deep inside a computation reaches the user.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "as_float_array",
    "as_positions",
    "as_times",
    "check_positive",
    "check_choice",
    "as_rng",
]


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


def as_float_array(
    value: ArrayLike,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    allow_nan: bool = True,
    allow_empty: bool = True,
) -> NDArray[np.float64]:
    """Convert ``value`` to a float64 array (a copy), checking its rank and values.

    Parameters
    ----------
    value : array_like
        The user's input.
    name : str
        Argument name used in error messages.
    ndim : int or sequence of int, optional
        Allowed numbers of dimensions.
    allow_nan : bool, default True
        If False, NaN or infinite values raise ``ValueError``.
    allow_empty : bool, default True
        If False, an array with no elements raises ``ValueError``.

    Returns
    -------
    ndarray of float64
        A new array; the caller's input is never modified.
    """
    try:
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric array-like; got {_describe(value)}.") from exc
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}; got shape {arr.shape}.")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty; at least one value is needed.")
    if not allow_nan and arr.size and not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); remove those samples "
            "(e.g. arr[np.isfinite(arr).all(axis=-1)]) before calling."
        )
    return arr


def as_times(
    value: ArrayLike, name: str = "times", *, strictly_increasing: bool = True
) -> NDArray[np.float64]:
    """Check a 1-D vector of sample times in seconds.

    Parameters
    ----------
    value : array_like of shape (n,)
        Times (s).
    name : str, default "times"
        Argument name used in error messages.
    strictly_increasing : bool, default True
        Require ``t[i+1] > t[i]``; otherwise only non-decreasing.

    Returns
    -------
    ndarray of float64, shape (n,)
    """
    t = as_float_array(value, name, ndim=1, allow_nan=False)
    if t.size > 1:
        d = np.diff(t)
        bad = np.flatnonzero(d <= 0) if strictly_increasing else np.flatnonzero(d < 0)
        if bad.size:
            i = int(bad[0])
            kind = "strictly increasing" if strictly_increasing else "non-decreasing"
            raise ValueError(
                f"{name} must be {kind}; {name}[{i}]={t[i]!r} is followed by "
                f"{name}[{i + 1}]={t[i + 1]!r} ({bad.size} such place(s)). Sort the samples and "
                "drop duplicated timestamps first."
            )
    return t


def as_positions(
    value: ArrayLike, name: str = "positions", *, allow_nan: bool = False
) -> NDArray[np.float64]:
    """Check an ``(n, 2)`` array of positions with columns (x, y) in metres.

    Parameters
    ----------
    value : array_like of shape (n, 2)
        Positions (m).
    name : str, default "positions"
        Argument name used in error messages.
    allow_nan : bool, default False
        Whether untracked (NaN) samples are allowed.

    Returns
    -------
    ndarray of float64, shape (n, 2)
    """
    arr = as_float_array(value, name, ndim=2, allow_nan=True)
    if arr.shape[1] != 2:
        hint = " (did you pass the transpose?)" if arr.shape[0] == 2 else ""
        raise ValueError(
            f"{name} must have shape (n, 2) with columns (x, y); got {arr.shape}{hint}."
        )
    if not allow_nan and not np.all(np.isfinite(arr)):
        bad = int(np.count_nonzero(~np.isfinite(arr).all(axis=1)))
        raise ValueError(
            f"{name} has {bad} sample(s) with NaN or infinite coordinates; drop those samples "
            "(and their times) first, e.g. keep = np.isfinite(positions).all(axis=1)."
        )
    return arr


def check_positive(value: float, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float after checking it is positive (and finite).

    Parameters
    ----------
    value : float
        The number to check.
    name : str
        Argument name used in error messages.
    allow_zero : bool, default False
        Accept 0.

    Returns
    -------
    float
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {_describe(value)}.")
    v = float(value)
    ok = v >= 0 if allow_zero else v > 0
    if not (np.isfinite(v) and ok):
        want = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {want} number; got {value!r}.")
    return v


def check_choice(value: str, name: str, choices: Sequence[str]) -> str:
    """Check that ``value`` is one of ``choices``.

    Parameters
    ----------
    value : str
        The user's choice.
    name : str
        Argument name used in error messages.
    choices : sequence of str
        The valid choices.

    Returns
    -------
    str
    """
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}; got {value!r}.")
    return value


def as_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """Return a numpy ``Generator`` from a seed or an existing generator.

    Parameters
    ----------
    seed : int, Generator or None
        ``None`` gives fresh OS entropy (not reproducible); pass an int for reproducibility.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)):
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be an int, a numpy.random.Generator or None; got {_describe(seed)}."
    )
