"""The ids, keys, network and moments that the examples of several resources share. The public
keys were made at random once and their secrets never kept; the encryption keys are plainly
placeholders, never to be used.
"""

from datetime import UTC, datetime

EXAMPLE_USER_ID = "user-42"
EXAMPLE_KEY = "an example caller key, not a real one"
EXAMPLE_PUBLIC_KEY = "GBCK52FACVINIZ7VFLQKIUGK3KAWH2UAII232456EUXVBI5DO2MUTY4K"
TESTNET = "Test SDF Network ; September 2015"
EXAMPLE_TRANSACTION_HASH = "64be2296e2078e3d577f18eb52452672843a1f58d5fcc276fe15d843cf5209b8"
EXAMPLE_CREATED_AT = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)

# Account set-up. The treasury sponsors the activation of user-42's account (whose keys, like
# the treasury's, were made for these examples alone).
EXAMPLE_SPONSOR_ID = "treasury"
EXAMPLE_ACCOUNT = "GBZ2X7SLDOGMT7HSOSKVP7MP2IPBT42ZUH5R4CPIXRDTTAUUVJKMWJ54"
EXAMPLE_SPONSOR_ACCOUNT = "GCMIEGHKGZIIKMQH2BYOVXUQO4US56B46ZSUQM2CEZRF2K3QV3HUZVBE"
USDC_ISSUER = "GBBD47IF6LWK7P7MDEVSCWR7DPUWV3NY3DTQEVFL4NAT4AQH3ZLLFLA5"
