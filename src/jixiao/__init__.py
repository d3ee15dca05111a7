"""jixiao: budget-performance self-evaluation reports into verified, typed records."""

__version__ = "0.1.0"
