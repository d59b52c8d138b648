"""What item requests have in common: expressions read from parameters, legacy parameters, and
the ReturnValues rules."""

from __future__ import annotations

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import expressions as ex

# Parameters from the API's first version (conditions as maps, not expressions). They are a later
# piece of work; until then they are refused rather than ignored, since ignoring a condition would
# turn a conditional write into an unconditional one.
LEGACY_PARAMETERS = ("Expected", "ConditionalOperator", "AttributesToGet", "AttributeUpdates",
                     "KeyConditions", "QueryFilter", "ScanFilter")


class Expressions:
    """The expressions of one request, parsed against its shared names and values."""

    def __init__(self, params: dict, expression_names: tuple[str, ...]):
        for legacy in LEGACY_PARAMETERS:
            if legacy in params:
                raise ValidationException(
                    f"One or more parameter values were invalid: {legacy} is not supported by this moatdb"
                    " version; use expressions"
                )
        present = [name for name in expression_names if params.get(name) is not None]
        if params.get("ExpressionAttributeNames") is not None and not present:
            raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
        # Values can only be used by expressions that compare, never by a projection.
        valued = [name for name in expression_names if name != "ProjectionExpression"]
        if params.get("ExpressionAttributeValues") is not None and valued \
                and all(params.get(name) is None for name in valued):
            raise ValidationException(
                "ExpressionAttributeValues can only be specified when using expressions: "
                f"{' and '.join(valued)} {'are' if len(valued) > 1 else 'is'} null"
            )
        # Most requests carry no expression at all: they need no context.
        names, values = params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
        self.context = None if not present and names is None and values is None \
            else ex.ExpressionContext(names, values)
        self.params = params

    def condition(self, name: str = "ConditionExpression"):
        text = self.params.get(name)
        return None if text is None else ex.parse_condition(text, self.context, kind=name)

    def projection(self):
        text = self.params.get("ProjectionExpression")
        return None if text is None else ex.parse_projection(text, self.context)

    def update(self):
        text = self.params.get("UpdateExpression")
        return None if text is None else ex.parse_update(text, self.context)

    def key_condition(self):
        """The key condition on its own; ``.for_key`` meets it with the table's key schema later."""
        return ex.parse_key_condition_expression(self.params["KeyConditionExpression"], self.context)

    def done(self) -> None:
        """DynamoDB refuses names or values that no expression of the request used."""
        if self.context is not None:
            self.context.check_unused()


def return_values(params: dict, allowed: tuple[str, ...]) -> str:
    value = params.get("ReturnValues", "NONE")
    if value not in allowed:
        raise ValidationException("Return values set to invalid value")
    return value
