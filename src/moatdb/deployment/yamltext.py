"""YAML as moatdb writes it for others to read: the same text for the same data, no aliases
(CloudFormation rejects them), and text quoted wherever YAML 1.2's rules would read something else.

PyYAML writes for YAML 1.1, where ``082191543673`` (an account id: they may start with 0) is no
number, as its 8 cannot be octal, and leaves it plain; YAML 1.2 readers (the world file's loader
among them) read a number. Such text is quoted."""

from __future__ import annotations

import yaml

from moatdb.world.source import reads_as_text


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if not reads_as_text(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_Dumper.add_representer(str, _Dumper.represent_str)


def dump(data: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
