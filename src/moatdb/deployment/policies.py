"""The organization's SCPs and RCPs as the policy JSON files Organizations takes, and a manifest of
where each is attached, where FullAWSAccess is detached, and where each account belongs."""

from __future__ import annotations

import json

from moatdb.deployment.documents import as_object
from moatdb.deployment.names import Names
from moatdb.world.model import Unit, World

POLICY_TYPES = {"SCP": "SERVICE_CONTROL_POLICY", "RCP": "RESOURCE_CONTROL_POLICY"}
MANIFEST = "manifest.json"


def files(world: World) -> dict[str, str]:
    """File name -> text: a JSON file per policy, and the manifest."""
    organization = world.organization
    if organization is None:
        return {}
    names = Names()
    out: dict[str, str] = {}
    entries: dict[str, dict] = {}
    for policy in organization.policies:
        file = f"{policy.type.lower()}/{names.file(policy.name)}.json"
        out[file] = _json(as_object(policy.document))
        entry = {"name": policy.name, "type": POLICY_TYPES[policy.type], "file": file}
        if policy.description:
            entry["description"] = policy.description
        if policy.id:
            entry["id"] = policy.id
        entries[policy.name] = entry | {"targets": []}
    detached: list[dict] = []
    placed: list[dict] = []
    by_id = {account.id: account.name for account in world.accounts}

    def target(kind: str, shown: str, target_id: str | None, attached: tuple[str, ...], full: bool) -> None:
        where = {"type": kind, "path": shown} | ({"id": target_id} if target_id else {})
        for name in attached:
            entries[name]["targets"].append(where)
        if not full:
            detached.append(where)

    def walk(unit: Unit, shown: str, kind: str) -> None:
        target(kind, shown, unit.id, unit.policies, unit.full_aws_access)
        for member in unit.accounts:
            placed.append({"id": member.account, "name": by_id[member.account], "path": shown})
            target("ACCOUNT", f"{shown}/{member.account}", member.account, member.policies, member.full_aws_access)
        for child in unit.units:
            walk(child, f"{shown}/{child.name}", "ORGANIZATIONAL_UNIT")

    walk(organization.root, "Root", "ROOT")
    manifest = {
        "organization": {"management_account": organization.management_account}
        | ({"id": organization.id} if organization.id else {}),
        "policies": list(entries.values()),
        "full_aws_access_detached": detached,
        "accounts": placed,
        "outside_the_organization": sorted(account for account in by_id
                                           if account != organization.management_account
                                           and account not in {entry["id"] for entry in placed}),
    }
    out[MANIFEST] = _json(manifest)
    return out


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
