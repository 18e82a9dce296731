"""Stellar adapters on stellar-sdk and httpx: transactions built for accounts, and the network
reached through a Horizon server.
"""
