"""STS's side of the procedure: a role the world marks as break-glass is assumed through the
procedure and no other way. A direct AssumeRole of it is refused, whatever its trust policy and the
caller's policies say, and alarmed; a break-glass session may not assume another role either, so
that everything done with it stays under its grant, in its report, and ends with it.
"""

from __future__ import annotations

from moatdb.auth.authenticator import Caller
from moatdb.breakglass import events
from moatdb.breakglass.alarms import Alarms
from moatdb.breakglass.events import Event
from moatdb.breakglass.settings import Current
from moatdb.storage.base import Store


class Guard:
    def __init__(self, store: Store, settings: Current, alarms: Alarms):
        self.store = store
        self.settings = settings
        self.alarms = alarms

    def may_assume(self, caller: Caller, role_arn: str) -> bool:
        """Whether AssumeRole of ``role_arn`` may go on to the trust policy; a refusal of a
        break-glass role sounds the alarm."""
        roles = self.settings.get().role_arns
        if role_arn in roles:
            who = caller.identity.arn
            event = Event(events.ASSUME_ROLE_DENIED, f"{who} called AssumeRole on the break-glass role {role_arn} "
                          "directly: denied (the break-glass procedure is the only way in)", None, role_arn, who,
                          {"source_ip": caller.origin.source_ip, "vpc_endpoint": caller.origin.vpc_endpoint})
            with self.store.write() as txn:
                events.append(txn, event)
            self.alarms.sound(event)
            return False
        return caller.identity.principal_arn not in roles
