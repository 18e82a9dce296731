"""What the key-management benchmark's modules share: its size (from the environment), its
timing, the backend key's label, the backend operations it counts, and where its report goes."""

import os

from bench.suite_settings import RESULTS

USERS = int(os.environ.get("BENCH_KMS_USERS", "2000"))
CONCURRENCY = int(os.environ.get("BENCH_KMS_CONCURRENCY", "8"))
ROUNDS = int(os.environ.get("BENCH_KMS_ROUNDS", "2"))
PHASE_SECONDS = float(os.environ.get("BENCH_KMS_SECONDS", "10"))
REGISTRATION_SECONDS = 30.0
WARMUP = 100
REQUEST_TIMEOUT_SECONDS = 10.0
KEY_LABEL = "wallets-bench"
OPERATIONS = ("wrap", "unwrap")
REPORT = RESULTS / "kms.md"
