"""Key-management backends (an HSM over PKCS#11, a Vault-compatible transit engine) that wrap
each wallet's key share: the second factor of envelope v2.
"""
