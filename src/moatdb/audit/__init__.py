"""The audit trail: a CloudTrail record of every request moatdb answers, allowed or denied, in
rotated JSON-lines files chained by signed digest files (docs/audit.md).

- ``call``: what the gateway knows of one answered request;
- ``record``: the CloudTrail record made of it; ``redact``: what a record keeps of parameters;
- ``writer``: one worker's files, flushed once per event-loop turn, rotated by age and size;
- ``digest``: the signed chain of digest files; ``signing``: the Ed25519 key; ``layout``: the folders;
- ``trail``: the whole, as the server builds it per worker;
- ``verify`` and ``query``: reading a trail back (``moatdb audit verify`` and ``moatdb audit query``).
"""
