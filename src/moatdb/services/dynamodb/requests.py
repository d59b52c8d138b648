"""What item requests have in common: expressions read from parameters, legacy parameters, and
the ReturnValues rules."""

from __future__ import annotations

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import expressions as ex
from moatdb.services.dynamodb import legacy

# The parameters of the API's first version that do each expression's work (legacy.py translates
# them). FilterExpression's is QueryFilter in a Query (which has a KeyConditionExpression) and
# ScanFilter in a Scan; ConditionalOperator joins Expected's, QueryFilter's or ScanFilter's conditions.
_LEGACY = {"ProjectionExpression": "AttributesToGet", "UpdateExpression": "AttributeUpdates",
           "ConditionExpression": "Expected", "KeyConditionExpression": "KeyConditions"}
# The order DynamoDB names them in its mixing error (dynalite's query and updateItem tests, recorded
# against AWS; ConditionalOperator's place beside Expected is assumed).
_NON_EXPRESSION_ORDER = ("AttributesToGet", "AttributeUpdates", "Expected", "QueryFilter", "ScanFilter",
                         "ConditionalOperator", "KeyConditions")
_EXPRESSION_ORDER = ("ProjectionExpression", "FilterExpression", "KeyConditionExpression", "UpdateExpression",
                     "ConditionExpression")


class Expressions:
    """The expressions of one request, parsed against its shared names and values, or the legacy
    parameters that stand for them, translated into the same objects."""

    def __init__(self, params: dict, expression_names: tuple[str, ...]):
        # expression name -> the legacy parameter that does its work in this operation
        self._legacy = _legacy_names(expression_names)
        present = [name for name in expression_names if params.get(name) is not None]
        _check_not_mixed(params, present, self._legacy)
        conditions = [self._legacy[name] for name in ("ConditionExpression", "FilterExpression")
                      if name in self._legacy]
        if conditions and params.get("ConditionalOperator") is not None \
                and not any(params.get(name) for name in conditions):
            # Wording from AWS's DAX client (amazon-dax-client's RequestValidator), which checks
            # requests as DynamoDB does; not confirmed against DynamoDB itself.
            raise ValidationException("ConditionalOperator cannot be used without Filter or Expected")
        if params.get("ExpressionAttributeNames") is not None and not present:
            raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
        # Values can only be used by expressions that compare, never by a projection; the message
        # names them in DynamoDB's order (dynalite's query tests: "FilterExpression and
        # KeyConditionExpression are null").
        valued = [name for name in _EXPRESSION_ORDER
                  if name in expression_names and name != "ProjectionExpression"]
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
        conditions = self._legacy_value(name)
        if conditions is not None:
            return legacy.condition(conditions, self.params.get("ConditionalOperator"),
                                    expected=name == "ConditionExpression")
        text = self.params.get(name)
        return None if text is None else ex.parse_condition(text, self.context, kind=name)

    def projection(self):
        names = self._legacy_value("ProjectionExpression")
        if names is not None:
            return legacy.projection(names)
        text = self.params.get("ProjectionExpression")
        return None if text is None else ex.parse_projection(text, self.context)

    def update(self):
        updates = self._legacy_value("UpdateExpression")
        if updates is not None:
            # An empty map updates nothing, as a request without one does.
            return legacy.AttributeUpdates(updates) if updates else None
        text = self.params.get("UpdateExpression")
        return None if text is None else ex.parse_update(text, self.context)

    def key_condition(self):
        """The key condition on its own; ``.for_key`` meets it with the table's key schema later."""
        text = self.params.get("KeyConditionExpression")
        if text is None:
            return legacy.KeyConditions(self.params["KeyConditions"])
        return ex.parse_key_condition_expression(text, self.context)

    def _legacy_value(self, expression_name: str):
        """The value of the legacy parameter doing ``expression_name``'s work, if the request sent it."""
        name = self._legacy.get(expression_name)
        return None if name is None else self.params.get(name)

    def done(self) -> None:
        """DynamoDB refuses names or values that no expression of the request used."""
        if self.context is not None:
            self.context.check_unused()


def _legacy_names(expression_names: tuple[str, ...]) -> dict[str, str]:
    """Each of an operation's expressions, mapped to the legacy parameter that does its work."""
    names = {name: _LEGACY[name] for name in expression_names if name in _LEGACY}
    if "FilterExpression" in expression_names:
        query = "KeyConditionExpression" in expression_names
        names["FilterExpression"] = "QueryFilter" if query else "ScanFilter"
    return names


def _check_not_mixed(params: dict, expressions: list[str], legacy_names: dict[str, str]) -> None:
    """DynamoDB refuses expressions and legacy parameters in one request, except KeyConditions beside
    a FilterExpression or ProjectionExpression without a KeyConditionExpression (dynalite's query
    tests, recorded against AWS)."""
    if not expressions:
        return
    takes = set(legacy_names.values())
    if "ConditionExpression" in legacy_names or "FilterExpression" in legacy_names:
        takes.add("ConditionalOperator")
    mixed = [name for name in _NON_EXPRESSION_ORDER if name in takes and params.get(name) is not None
             and (name != "KeyConditions" or "KeyConditionExpression" in expressions)]
    if mixed:
        used = [name for name in _EXPRESSION_ORDER if name in expressions]
        raise ValidationException(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(mixed)}}} Expression parameters: {{{', '.join(used)}}}"
        )


def return_values(params: dict, allowed: tuple[str, ...]) -> str:
    value = params.get("ReturnValues", "NONE")
    if value not in allowed:
        raise ValidationException("Return values set to invalid value")
    return value
