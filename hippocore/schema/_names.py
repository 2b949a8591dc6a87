"""Names, kinds and the error of the hippocore schema (see :mod:`hippocore.schema`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

SCHEMA_VERSION = "1"
TIME, UNIT, AXIS, SPIKE, X, Y = "time", "unit", "axis", "spike", "x", "y"
SOURCES = ("model", "recording", "synthetic")
ACTIVITY_UNITS = ("Hz", "count", "a.u.")
Kind = Literal["session", "rate_maps", "scores"]
KINDS = ("session", "rate_maps", "scores")


class SchemaError(ValueError):
    """A dataset does not follow the hippocore schema.

    Attributes
    ----------
    problems : list of str
        Every problem found, not only the first.
    """

    def __init__(self, problems: Sequence[str], kind: str = "dataset"):
        self.problems = list(problems)
        listed = "; ".join(self.problems)  # one line; each problem is also in .problems
        super().__init__(
            f"{kind} does not follow the hippocore schema ({len(problems)} problem(s)): {listed}"
        )
