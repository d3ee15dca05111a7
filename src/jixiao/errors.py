"""One family for every failure jixiao reports to its user. Each says what was
wrong and what to do: the file or setting it concerns, the problem, the remedy;
the command line turns any of them into one line on standard error.

- `LoadError` (jixiao.read): a file that cannot be read as a report.
- `ModelError` (jixiao.extract.llm): a model call that will not succeed by trying again.
- `StoreError` (jixiao.store): a database that cannot be opened or used.
- `EvaluationError` (jixiao.evaluate): folders that cannot be scored together.
- `ReviewError` (jixiao.review.actions): a reviewer's change that cannot be taken.
"""

from __future__ import annotations


class JixiaoError(Exception):
    """A failure a user can act on; its message says what to do."""
