"""Real processes for tests and benchmarks: `serve` processes started and waited for, free ports,
throwaway PostgreSQL databases and a load client over real HTTP. No pytest here: the test suite
turns these errors into failures or skips, a benchmark lets them stop the run.
"""
