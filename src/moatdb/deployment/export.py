"""``moatdb export``: a world written as the files one takes to AWS, the same bytes for the same world.

``DIR/policies/``: the SCPs and RCPs with their manifest; ``DIR/cloudformation/ACCOUNT.yaml``: a
template per account, and ``organization.yaml``; ``DIR/terraform/ACCOUNT/main.tf`` and ``DIR/terraform/organization/main.tf``.
"""

from __future__ import annotations

from pathlib import Path

from moatdb.deployment import FORMATS, cloudformation, policies, terraform
from moatdb.world.model import World


def files(world: World, formats: tuple[str, ...] = FORMATS, account: str | None = None) -> dict[str, str]:
    """Relative path -> text. ``account`` keeps that account's files (and the organization's, when
    it is the management account)."""
    chosen = [a for a in world.accounts if account is None or a.id == account]
    organization = account is None or account == world.management_account
    out: dict[str, str] = {}
    if "policies" in formats and organization:
        out |= {f"policies/{name}": text for name, text in policies.files(world).items()}
    if "cloudformation" in formats:
        template = cloudformation.organization_template(world) if organization else None
        if template is not None:
            out["cloudformation/organization.yaml"] = cloudformation.render(template)
        for entry in chosen:
            template = cloudformation.template(world, entry)
            if template is not None:
                out[f"cloudformation/{entry.id}.yaml"] = cloudformation.render(template)
    if "terraform" in formats:
        for entry in chosen:
            text = terraform.account_configuration(world, entry)
            if text is not None:
                out[f"terraform/{entry.id}/main.tf"] = text
        text = terraform.organization_configuration(world) if organization else None
        if text is not None:
            out["terraform/organization/main.tf"] = text
    return dict(sorted(out.items()))


def write(world: World, out: Path, formats: tuple[str, ...] = FORMATS, account: str | None = None) -> list[Path]:
    written = []
    for name, text in files(world, formats, account).items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
