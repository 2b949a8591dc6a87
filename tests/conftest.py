"""Shared fixtures: the location of the team's real recordings (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SARGOLINI = SHARED_DATA / "sargolini2006"


@pytest.fixture(scope="session")
def sargolini_dir() -> Path:
    """Folder of the Sargolini et al. (2006) recordings; skips when absent."""
    if not (SARGOLINI / "10073-17010302_POS.mat").exists():
        pytest.skip(f"Sargolini 2006 data not found at {SARGOLINI} (../shared/data/sargolini2006)")
    return SARGOLINI
