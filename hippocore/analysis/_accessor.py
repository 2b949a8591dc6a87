"""The ``.hc`` dataset accessor: forwards to the analysis functions, holds no logic.

Add further methods here (one per analysis) so that ``ds.hc.<name>(...)`` stays discoverable.
``import hippocore`` registers it as ``ds.hc`` (through ``hippocore._hc``, which imports this
module on the first ``ds.hc``), so it is not registered here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from ._xarray import compute_rate_maps, grid_scores
from ._xscores import (
    head_direction_scores,
    map_scores,
    place_field_table,
    remapping,
    score_session,
    speed_scores,
    stability_scores,
)

__all__ = ["HippocoreAccessor"]


class HippocoreAccessor:
    """``ds.hc``: hippocore analyses on schema datasets (sessions and rate maps)."""

    def __init__(self, ds: xr.Dataset):
        self._ds = ds

    def rate_maps(
        self,
        *,
        bin_size: float,
        limits: Sequence[float] | None = None,
        smooth: float = 1.0,
        max_gap: float = 0.1,
        variable: str = "spikes",
    ) -> xr.Dataset:
        """Rate maps of a session; see :func:`hippocore.analysis.compute_rate_maps`.

        Parameters
        ----------
        bin_size, limits, smooth, max_gap, variable
            As in :func:`hippocore.analysis.compute_rate_maps`.

        Returns
        -------
        xarray.Dataset
        """
        return compute_rate_maps(
            self._ds,
            bin_size=bin_size,
            limits=limits,
            smooth=smooth,
            max_gap=max_gap,
            variable=variable,
        )

    def grid_scores(self, *, method: str = "bnt") -> xr.Dataset:
        """Grid scores of a rate-map dataset; see :func:`hippocore.analysis.grid_scores`.

        Parameters
        ----------
        method : {"bnt", "deepmind"}, default "bnt"

        Returns
        -------
        xarray.Dataset
        """
        return grid_scores(self._ds, method=method)

    def map_scores(
        self,
        *,
        border_threshold: float = 0.3,
        field_threshold: float = 0.2,
        field_min_bins: int = 9,
        field_min_peak: float = 1.0,
    ) -> xr.Dataset:
        """Map statistics of a rate-map dataset; see :func:`hippocore.analysis.map_scores`.

        Parameters
        ----------
        border_threshold, field_threshold, field_min_bins, field_min_peak
            As in :func:`hippocore.analysis.map_scores`.

        Returns
        -------
        xarray.Dataset
        """
        return map_scores(
            self._ds,
            border_threshold=border_threshold,
            field_threshold=field_threshold,
            field_min_bins=field_min_bins,
            field_min_peak=field_min_peak,
        )

    def place_fields(
        self,
        *,
        method: str = "bnt",
        threshold: float = 0.2,
        min_bins: int = 9,
        min_peak: float = 1.0,
    ) -> xr.Dataset:
        """Place fields of a rate-map dataset; see :func:`hippocore.analysis.place_field_table`.

        Parameters
        ----------
        method, threshold, min_bins, min_peak
            As in :func:`hippocore.analysis.place_fields`.

        Returns
        -------
        xarray.Dataset
        """
        return place_field_table(
            self._ds, method=method, threshold=threshold, min_bins=min_bins, min_peak=min_peak
        )

    def remapping(self, other: xr.Dataset) -> xr.Dataset:
        """Remapping between this rate-map dataset and ``other``; see :func:`hippocore.analysis.remapping`.

        Parameters
        ----------
        other : xarray.Dataset
            Rate maps of the same units and bins (e.g. another environment).

        Returns
        -------
        xarray.Dataset
        """
        return remapping(self._ds, other)

    def head_direction(
        self,
        *,
        n_bins: int = 120,
        smooth: float = 1.0,
        max_gap: float = 0.1,
        variable: str = "spikes",
    ) -> xr.Dataset:
        """Head-direction tuning of a session; see :func:`hippocore.analysis.head_direction_scores`.

        Parameters
        ----------
        n_bins, smooth, max_gap, variable
            As in :func:`hippocore.analysis.head_direction_scores`.

        Returns
        -------
        xarray.Dataset
        """
        return head_direction_scores(
            self._ds, n_bins=n_bins, smooth=smooth, max_gap=max_gap, variable=variable
        )

    def speed_scores(
        self,
        *,
        sigma: float = 0.4,
        speed_range: tuple[float, float] = (0.02, 0.5),
        variant: str = "2015",
        variable: str = "spikes",
    ) -> xr.Dataset:
        """Speed scores of a session; see :func:`hippocore.analysis.speed_scores`.

        Parameters
        ----------
        sigma, speed_range, variant, variable
            As in :func:`hippocore.analysis.speed_scores`.

        Returns
        -------
        xarray.Dataset
        """
        return speed_scores(
            self._ds, sigma=sigma, speed_range=speed_range, variant=variant, variable=variable
        )

    def stability(
        self,
        *,
        bin_size: float,
        limits: Sequence[float] | None = None,
        smooth: float = 1.0,
        max_gap: float = 0.1,
        variable: str = "spikes",
    ) -> xr.Dataset:
        """First- vs second-half stability of a session; see :func:`hippocore.analysis.stability_scores`.

        Parameters
        ----------
        bin_size, limits, smooth, max_gap, variable
            As in :func:`hippocore.analysis.stability_scores`.

        Returns
        -------
        xarray.Dataset
        """
        return stability_scores(
            self._ds,
            bin_size=bin_size,
            limits=limits,
            smooth=smooth,
            max_gap=max_gap,
            variable=variable,
        )

    def classify(
        self,
        *,
        bin_size: float,
        limits: Sequence[float] | None = None,
        smooth: float = 1.0,
        max_gap: float = 0.1,
        variable: str = "spikes",
        n_shuffles: int = 100,
        min_shift: float = 20.0,
        percentile: float = 95.0,
        min_finite: float = 0.2,
        scores: Sequence[str] | None = None,
        seed: int | np.random.Generator | None = None,
        progress: bool = False,
    ) -> xr.Dataset:
        """Scores, shuffled nulls and cell-type labels of a session; see :func:`hippocore.analysis.score_session`.

        Parameters
        ----------
        bin_size, limits, smooth, max_gap, variable, n_shuffles, min_shift, percentile, min_finite, scores, seed, progress
            As in :func:`hippocore.analysis.score_session`.

        Returns
        -------
        xarray.Dataset
        """
        return score_session(
            self._ds,
            bin_size=bin_size,
            limits=limits,
            smooth=smooth,
            max_gap=max_gap,
            variable=variable,
            n_shuffles=n_shuffles,
            min_shift=min_shift,
            percentile=percentile,
            min_finite=min_finite,
            scores=scores,
            seed=seed,
            progress=progress,
        )
