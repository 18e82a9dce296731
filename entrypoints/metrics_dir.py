"""Where the workers of one `serve` keep their metrics (no prometheus-client import here: the
variable must be set before that library is first imported).
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_METRIC_FILE_KINDS = {"counter", "gauge", "histogram", "summary"}


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """PROMETHEUS_MULTIPROC_DIR for this run: the operator's directory, emptied of the last run's
    metric files (prometheus-client names them <kind>_..._<pid>.db; nothing else is touched), or
    else a new temporary one, removed afterwards.
    """
    configured = os.environ.get(MULTIPROCESS_DIR, "").strip()
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            if stale.name.split("_", 1)[0] in _METRIC_FILE_KINDS:
                stale.unlink(missing_ok=True)
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="wallet-orchestrator-metrics-"))
    os.environ[MULTIPROCESS_DIR] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROCESS_DIR, None)
        shutil.rmtree(directory, ignore_errors=True)
