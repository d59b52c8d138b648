"""Names a template gives the resources it declares: CloudFormation logical ids (letters and digits),
Terraform resource names (letters, digits, ``_`` and ``-``), and file names; each unique where it is
used, and the same for the same world, so an export is the same bytes every time."""

from __future__ import annotations

import re

_WORDS = re.compile(r"[A-Za-z0-9]+")


class Names:
    """Unique names in one template: a name asked twice gets a number after it."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def unique(self, name: str) -> str:
        candidate, number = name, 2
        while candidate.lower() in self.used:
            candidate, number = f"{name}{number}", number + 1
        self.used.add(candidate.lower())
        return candidate

    def logical(self, kind: str, *names: str) -> str:
        """A CloudFormation logical id: ``RoleBreakGlass`` for role ``break-glass``."""
        words = [word for name in names for word in _WORDS.findall(name)]
        return self.unique(kind + "".join(word[:1].upper() + word[1:] for word in words))

    def resource(self, *names: str) -> str:
        """A Terraform resource name: ``break_glass`` for ``break-glass``."""
        words = [word.lower() for name in names for word in _WORDS.findall(name)]
        name = "_".join(words) or "unnamed"
        return self.unique(name if name[0].isalpha() else f"r_{name}")

    def file(self, name: str) -> str:
        """A file name of letters, digits and ``_.-`` (a policy name may hold spaces and ``,+=@``)."""
        return self.unique(re.sub(r"[^A-Za-z0-9_.-]", "_", name))
