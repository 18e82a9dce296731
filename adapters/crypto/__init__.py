"""Key generation on stellar-sdk and seed encryption on libsodium (PyNaCl)."""
