"""Adapters: the ports implemented on real technology (SQL, Stellar, libsodium) and in memory."""
