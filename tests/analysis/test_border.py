"""Border score: BNT's published expectations and known answers."""

import numpy as np
import pytest

from hippocore.analysis._border import border_coverage, border_score
from hippocore.analysis._place import place_fields
from hippocore.testing import place_map

from ._bnt_inputs import bnt_gauss2d as gauss2d


def test_bnt_wall_row_scores_092():
    # BNT BorderScoreTester.perfectScore: zeros(50), row 1 = 0.5; placefield(0.3, minBins 1, minPeak 0.1).
    m = np.zeros((50, 50))
    m[0, :] = 0.5
    b = border_score(m, threshold=0.3, min_bins=1, min_peak=0.1)
    assert round(b.score * 100) == 92
    assert b.coverage == 1.0 and b.distance == pytest.approx(0.04) and b.n_fields == 1


def test_bnt_border_coverage_expectations():
    # BNT BorderCoverageTester: two wall fields cover the wall (1), one covers 0.66.
    for centres, expected in (([[3, 1], [37, 1]], 1.0), ([[37, 1]], 0.66)):
        m = gauss2d(centres, 150, (50, 50))
        fields = place_fields(m, threshold=0.3, min_bins=2)
        cov = border_coverage([f.mask(m.shape) for f in fields], np.isfinite(m))
        assert cov == pytest.approx(expected)


def test_no_fields_scores_minus_one_like_bnt():
    b = border_score(np.full((50, 50), np.nan))
    assert b.score == -1 and b.n_fields == 0


@pytest.mark.parametrize("wall", ["L", "R", "B", "T"])
def test_each_wall_is_found_and_only_when_asked(wall):
    m = np.zeros((30, 30))
    inner = slice(1, -1)  # stop short of the corners, which belong to two walls
    idx = {"L": (inner, 0), "R": (inner, -1), "B": (0, inner), "T": (-1, inner)}
    m[idx[wall]] = 5.0
    cm, dm = 28 / 30, 2 * 1 / 30  # 28 of 30 wall bins covered; every field bin on the wall
    assert border_score(m, min_bins=1).score == pytest.approx((cm - dm) / (cm + dm))
    other = "TRBL".replace(wall, "")
    assert border_score(m, min_bins=1, walls=other).coverage == 0.0


def test_central_field_scores_negative_and_wall_field_beats_it():
    centre = place_map((40, 40), bin_size=0.025, centres=[(0.5, 0.5)], sigma=0.08)
    wall = place_map((40, 40), bin_size=0.025, centres=[(0.0, 0.5)], sigma=(0.08))
    bs = border_score(np.stack([centre, wall]))
    assert bs.score[0] < 0 < bs.score[1]


def test_unvisited_wall_bins_look_inward_within_search_width():
    m = np.zeros((30, 30))
    m[:, 1] = 5.0  # field one bin in from the left wall
    m[:, 0] = np.nan  # the wall column itself was never visited
    assert border_score(m, min_bins=1, walls="L").coverage == 1.0
    m2 = np.zeros((30, 30))
    m2[:, 3] = 5.0
    m2[:, :3] = np.nan
    assert border_score(m2, min_bins=1, walls="L", search_width=2).coverage == 0.0
    assert border_score(m2, min_bins=1, walls="L", search_width=8).coverage == 1.0
    # Half the wall never visited within reach: only the reachable half counts.
    m3 = np.zeros((30, 30))
    m3[:15, 0] = 5.0
    m3[15:, :] = np.nan
    assert border_score(m3, min_bins=1, walls="L").coverage == 1.0


def test_bad_walls_and_search_width():
    with pytest.raises(ValueError, match="walls"):
        border_score(np.ones((5, 5)), walls="XY")
    with pytest.raises(ValueError, match="search_width"):
        border_score(np.ones((5, 5)), search_width=0)


def test_precomputed_fields_give_the_same_score():
    m = place_map((40, 40), bin_size=0.025, centres=[(0.05, 0.5), (0.6, 0.6)], sigma=0.06)
    fields = place_fields(m, threshold=0.3)
    a = border_score(m)
    b = border_score(m, fields=fields)
    assert a == b and a.n_fields == 2
    with pytest.raises(ValueError, match="fields"):  # fields of map 1 given for one map
        border_score(m, fields=place_fields(np.stack([m, m]), threshold=0.3))
    with pytest.warns(FutureWarning, match="flat list"):  # one list per map: old form
        assert border_score(np.stack([m, m]), fields=[fields, fields]).n_fields.tolist() == [2, 2]
