import numpy as np
import pytest

from hippocore.analysis import lattice_fields, lattice_rate_map
from hippocore.envs import make_world


@pytest.mark.parametrize("func", [lattice_rate_map, lattice_fields])
@pytest.mark.parametrize(
    ("world", "nodes", "activity", "exc", "match"),
    [
        ("square", [0, 1], [1.0, 2.0], TypeError, "World"),
        (None, [], [], ValueError, "empty"),
        (None, [0, 99], [1.0, 2.0], ValueError, "integers in 0..8"),
        (None, [0, 1.5], [1.0, 2.0], ValueError, "integers"),
        (None, [0, 1, 2], [1.0, 2.0], ValueError, "3 steps|2 steps"),
        (None, [0, 1], [1.0, np.nan], ValueError, "NaN"),
    ],
)
def test_lattice_functions_share_clear_input_errors(func, world, nodes, activity, exc, match):
    w = make_world("square", 3) if world is None else world
    with pytest.raises(exc, match=match):
        func(w, np.asarray(nodes), np.asarray(activity))
