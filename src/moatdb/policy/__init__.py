"""AWS's policy language and evaluation logic, as a pure library: no I/O, no storage, no server.

The server, ``moatdb simulate`` and later tools all call the same function, so a decision made
offline is the decision the server makes.

- ``request``     — what is being asked: the principal, the action, the resource, the context keys.
- ``errors``      — ``MalformedPolicy``: a document refused in IAM's words.
- ``variables``   — policy variables (``${aws:username}``, defaults, ``${*}`` escapes).
- ``conditions``  — every condition operator, compiled once.
- ``document``    — parsing and validating a policy document into compiled statements.
- ``evaluate``    — the evaluation logic across every policy type, returning a ``Decision``.
- ``decision``    — a decision as a value: allowed or not, which policies and statements decided
  it, which condition failed, and the denial message AWS words.
"""
