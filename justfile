# The tasks of wallet-orchestrator. `just` alone lists them.

# list the recipes
default:
    @just --list

# serve the API on 127.0.0.1:8000 (SQLite ./wallets.db unless DATABASE_URL says otherwise)
run *args:
    uv run wallet-orchestrator serve {{ args }}

# the whole test suite (PostgreSQL at TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres)
test *args:
    uv run pytest {{ args }}

# minutes of load with database outages and crashes (SOAK_MINUTES, default 3; not in CI)
soak:
    uv run pytest tests/system/test_soak.py -m soak -s -q

# ruff (lint and format check), mypy --strict, import-linter
lint:
    uv run ruff check .
    uv run ruff format --check .
    uv run mypy
    uv run lint-imports

# format the code and apply safe lint fixes
fmt:
    uv run ruff format .
    uv run ruff check --fix .

# apply pending migrations to DATABASE_URL
migrate:
    uv run wallet-orchestrator migrate

# benchmarks (bounded, about 12 minutes; needs pgbench and wrk; results in bench/results/)
bench:
    uv run python bench/cipher_bench.py
    uv run python bench/kms_bench.py
    uv run python bench/batch_creation_bench.py
    uv run python bench/suite.py
    uv run python bench/chart.py
