"""Document → sections, tables, numbers and chunks: the structure built once
from a report's normalised text and handed on to every later stage."""

from jixiao.structure.prepare import Prepared, prepare

__all__ = ["Prepared", "prepare"]
