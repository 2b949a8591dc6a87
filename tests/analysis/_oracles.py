"""Earlier implementations kept as oracles: the faster code that replaced them must agree.

Each function here is the version the library used before a speed-up (issue 15); tests
compare the library's current code with it on varied inputs, value for value.
"""

from __future__ import annotations

import numpy as np


def label_stats_lexsort(labels: np.ndarray, values: np.ndarray):
    """Per label 0..n: size, mean, max value and flat index of the max (by one lexsort)."""
    flat = labels.ravel()
    idx = np.flatnonzero(flat)
    n = int(flat.max(initial=0)) + 1
    size = np.bincount(flat[idx], minlength=n)
    total = np.bincount(flat[idx], weights=values.ravel()[idx], minlength=n)
    order = idx[np.lexsort((-values.ravel()[idx], flat[idx]))]
    top = np.zeros(n, dtype=np.intp)
    if order.size:
        first = np.flatnonzero(np.r_[True, np.diff(flat[order]) != 0])
        top[flat[order[first]]] = order[first]
    peak = np.zeros(n)
    peak[1:] = values.ravel()[top[1:]]
    mean = total / np.maximum(size, 1)
    return size, mean, peak, top
