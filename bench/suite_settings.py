"""What the suite's scenarios share: how long each figure runs, the caller's key and token, how
many users are seeded for pgbench, and where the results go."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
KEY = "a caller key of at least 16 characters"
TOKEN = "bench-token-0123456789"  # noqa: S105 - a throwaway token for a throwaway server
RESULTS = ROOT / "bench" / "results"
PRESET_USERS = 100_000
WARMUP_SECONDS = 2.0
