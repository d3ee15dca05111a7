"""Deterministic cross-checks: every figure against the source, and the source
against itself.

Each check is a small function that reads facts by their JSON paths and
returns `Check` results with the arithmetic in the message. Tolerances come
from the precision the source wrote (``352.60万元`` is ± 0.005 万元). The
verdicts act on the record:

- ``hallucination``: the value is not what the source says where it says it;
  the fact leaves the record for `rejected`, and the checks of the source
  against itself run without it;
- ``source_inconsistency``: the figures are all in the source and disagree;
  they stay, flagged ``source_inconsistent`` with the arithmetic;
- ``unit_anomaly``: they agree only with a unit ×10⁴ off; flagged;
- ``unverifiable``: not enough figures to tell, or (``ocr_low_confidence``)
  figures read from text that OCR was unsure of: their notes say so, and a
  reviewer compares them with the scan; ``pass``: they agree.

`base` holds what every check reads (a fact's figure and tolerance, the
context), `source` the checks of each figure against the source, `arithmetic`
and `indicators` those of the source against itself, and `registry` the one
list of checks in the order they run, with what their verdicts do.
"""

from jixiao.check.base import clause_before
from jixiao.check.registry import CHECK_NAMES, evaluate_checks, run_checks
from jixiao.check.source import FIELD_LABELS, addresses_the_model

__all__ = [
    "CHECK_NAMES",
    "FIELD_LABELS",
    "addresses_the_model",
    "clause_before",
    "evaluate_checks",
    "run_checks",
]
