"""Reports in batches: each report's worker (`run_one`), and the batch that runs
the workers locally (`Batch`: CPU work in processes, model calls in threads)."""

from jixiao.batch.ingest import Batch, Outcome, report_files, run_one, save_record

__all__ = ["Batch", "Outcome", "report_files", "run_one", "save_record"]
