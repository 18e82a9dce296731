"""Example payload of the operators' routes: the metrics."""

METRICS_EXAMPLE = """\
# HELP wallet_creations_total Wallet creation requests by outcome: created, replayed (...)
# TYPE wallet_creations_total counter
wallet_creations_total{outcome="created"} 1042.0
wallet_creations_total{outcome="replayed"} 311.0
wallet_creations_total{outcome="key_mismatch"} 2.0
# HELP wallet_db_pool_connections_in_use Database connections checked out of the pools, all workers.
# TYPE wallet_db_pool_connections_in_use gauge
wallet_db_pool_connections_in_use 3.0
"""
