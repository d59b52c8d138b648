"""The gateway: doors, the ASGI app, protocol codecs, AWS-shaped errors on the wire."""
