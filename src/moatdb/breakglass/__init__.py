"""Break glass done right (docs/break-glass.md): the one way to a break-glass role is a procedure,
requested with a reason and a ticket, approved by others (M of N), time-boxed, revocable at once,
alarmed at every step and every call, and reported on after; and a sealed path, split into Shamir
shares among custodians, for when no approver can be reached.

The package's modules each own one idea: ``settings`` (the world's word), ``grants`` (the state of
one), ``procedure`` (the steps), ``sealing`` (the sealed path), ``access`` (the IAM actions and the
resource policy the settings amount to), ``api`` (HTTP), ``guard`` (STS's side), ``monitor`` (calls
made with break-glass sessions), ``events`` and ``alarms`` (the journal, the log and the webhooks),
``report`` (Markdown after the fact), ``client`` (the command's side of the API), ``service`` (one
worker's assembly).
"""
