"""Request ids shaped like DynamoDB's: 52 characters of upper-case letters and digits."""

import base64
import os


def new_request_id() -> str:
    # 32 random bytes -> 52 base32 characters (A-Z, 2-7), like the ids DynamoDB sends.
    return base64.b32encode(os.urandom(32))[:52].decode()
