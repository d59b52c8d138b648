"""The world file moatdb import writes reads back as what was imported (the rest of import runs
against moto: tests/server/test_deploy_import.py)."""

from __future__ import annotations

from moatdb.deployment.importer import render
from moatdb.world import load


def test_account_ids_with_a_leading_zero_stay_text(tmp_path):
    # AWS account ids may start with 0. PyYAML writes 082191543673 plain (a YAML 1.1 octal cannot
    # hold an 8), and the world file's YAML 1.2 rules would read a number: the writer quotes it.
    data = {"version": 1, "region": "us-east-1",
            "organization": {"management_account": "012345678901", "root": {"accounts": ["082191543673"]}},
            "accounts": {"012345678901": {"name": "management"}, "082191543673": {"name": "2024"}},
            "doors": [{"name": "public", "listen": "127.0.0.1:8000"}]}
    (tmp_path / "world.yaml").write_text(render(data, ["a warning"], "a test"))
    world = load(tmp_path / "world.yaml")
    assert [(account.id, account.name) for account in world.accounts] == [("012345678901", "management"),
                                                                          ("082191543673", "2024")]
    assert world.organization.root.accounts[0].account == "082191543673"
    assert (tmp_path / "world.yaml").read_text().startswith(
        "# A world imported by moatdb import from a test.\n"
        "# Serve it with: moatdb serve --world FILE (docs/export-deploy-import.md).\n"
        "#\n# Left out or changed:\n#   - a warning\n\nversion: 1\n")


def test_templates_quote_what_yaml_1_2_would_read_as_a_number_and_repeat_shared_values():
    from moatdb.deployment.yamltext import dump

    ref = {"Ref": "RootId"}
    assert dump({"TargetIds": ["082191543673", ref], "ParentId": ref, "Version": "2012-10-17"}) == (
        "TargetIds:\n- '082191543673'\n- Ref: RootId\nParentId:\n  Ref: RootId\nVersion: '2012-10-17'\n")
