"""Document paths: reading one from an item, printing one as DynamoDB does, comparing two."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from moatdb.services.dynamodb.expressions import messages

# A path with its #placeholders substituted: attribute names and list indexes.
Resolved = tuple[str | int, ...]


def display(path: Resolved) -> str:
    """DynamoDB's rendering in error messages: ``[a, b, [1]]``."""
    return "[" + ", ".join(f"[{element}]" if type(element) is int else element for element in path) + "]"


def getter(path: Resolved) -> Callable[[dict], dict | None]:
    """A function returning the value at ``path`` in an item, or None where the path leads nowhere
    (a missing attribute or key, an index past the end, a name into a list or an index into a map)."""
    head = path[0]
    if len(path) == 1:
        return lambda item: item.get(head)
    rest = path[1:]

    def get(item: dict) -> dict | None:
        value = item.get(head)
        for element in rest:
            if value is None:
                return None
            if type(element) is int:
                members = value.get("L")
                value = members[element] if members is not None and element < len(members) else None
            else:
                members = value.get("M")
                value = members.get(element) if members is not None else None
        return value

    return get


def clash(paths: Sequence[Resolved]) -> str | None:
    """DynamoDB's error for a list of paths where one is, or is inside, another ("overlap"), or
    where two reach the same value once as a map and once as a list ("conflict"); overlaps are
    reported before conflicts (dynalite's ordering, captured from AWS)."""
    conflict = None
    for later, two in enumerate(paths):
        for one in paths[:later]:
            for a, b in zip(one, two, strict=False):
                if (type(a) is int) != (type(b) is int):
                    conflict = conflict or messages.conflict(display(one), display(two))
                    break
                if a != b:
                    break
            else:
                return messages.overlap(display(one), display(two))
    return conflict
