"""The light layers must import without torch; the zoo must import with it."""

import subprocess
import sys

import pytest

LIGHT = [
    "hippocore",
    "hippocore.schema",
    "hippocore.envs",
    "hippocore.testing",
    "hippocore.analysis",
    "hippocore.io",
    "hippocore.plotting",  # matplotlib is imported when a figure is drawn, not on import
]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_light_layers_never_import_torch():
    code = (
        "import sys\n" + "".join(f"import {m}\n" for m in LIGHT) + "print('torch' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_light_layers_never_import_matplotlib():
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in LIGHT)
        + "print('matplotlib' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"


def test_plotting_draws_without_torch_or_pyplot():
    # Plotting takes data, never a model: drawing a full gallery must not load torch, and
    # figures are made without pyplot, so no global figure state is created or leaked.
    pytest.importorskip("matplotlib")
    code = (
        "import io, sys\n"
        "import numpy as np\n"
        "from hippocore.envs import make_world\n"
        "from hippocore.plotting import unit_gallery\n"
        "w = make_world('hexagonal', 5)\n"
        "rng = np.random.default_rng(0)\n"
        "fig = unit_gallery(w, rng.random((4, w.n_nodes)), rng.random((4, 9, 9)) - 0.5)\n"
        "fig.savefig(io.BytesIO(), format='png', dpi=30)\n"
        "print(sorted(m for m in ('torch', 'matplotlib.pyplot') if m in sys.modules), "
        "'matplotlib' in sys.modules)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["[]", "True"]


def test_zoo_imports_with_torch():
    pytest.importorskip("torch")
    res = _run("import sys, hippocore.zoo; print('torch' in sys.modules)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "True"


def test_hc_accessor_works_after_a_bare_import_hippocore_which_stays_light():
    # ds.hc must not need `import hippocore.analysis` first (issue 11, item 7), and registering
    # it must not make `import hippocore` load the analysis layer (scipy, scikit-image).
    code = (
        "import sys\n"
        "import hippocore\n"
        "heavy = sorted(m for m in ('hippocore.analysis', 'scipy', 'skimage', 'torch') "
        "if m in sys.modules)\n"
        "from hippocore.testing import synthetic_recording\n"
        "ds = synthetic_recording(60, seed=0)\n"
        "maps = ds.hc.rate_maps(bin_size=0.05, limits=(0, 1, 0, 1))\n"
        "print(heavy, type(ds.hc).__name__, maps.rate.shape, ds.hc is ds.hc)"
    )
    res = _run(code)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["[]", "HippocoreAccessor", "(10,", "20,", "20)", "True"]
