"""Attribute values: validation, wire-shape errors, sizes, ordering and equality.

Sources cited below:
  [types]  Developer Guide, "Supported data types and naming rules"
  [sizes]  Developer Guide, "Item sizes and formats"
  [quotas] Developer Guide, "Service, account, and table quotas" (32 nesting levels)
  [dynalite] architect/dynalite tests, recorded against AWS: test/putItem.js (validations),
           test/helpers.js (assertType: Coral's SerializationException messages)
  [layers] dynamodb-conformance tests/tier3/error-messages/valueLayers.test.ts, captured against AWS
  [nesting] dynamodb-conformance tests/tier3/limits/nestingDepth.test.ts, captured against AWS
"""

from __future__ import annotations

import base64
import random

import orjson
import pytest

from moatdb.errors import SerializationException, ValidationException
from moatdb.services.dynamodb import values

INVALID = "One or more parameter values were invalid: "
EMPTY = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
MULTIPLE = (
    "Supplied AttributeValue has more than one datatypes set, "
    "must contain exactly one of the supported datatypes"
)
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
NESTING = (
    "Nesting Levels have exceeded supported limits: "
    "Attributes in the item have nested levels beyond supported limit"
)
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
MAP_AS_LIST = (
    "Unrecognized collection type "
    "java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
)
VALUE_AS_LIST = "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"


def deep_map(wraps: int) -> dict:
    """A scalar wrapped in ``wraps`` single-key maps: its leaf sits at level wraps + 1."""
    value: dict = {"S": "leaf"}
    for _ in range(wraps):
        value = {"M": {"n": value}}
    return value


def deep_list(wraps: int) -> dict:
    value: dict = {"S": "leaf"}
    for _ in range(wraps):
        value = {"L": [value]}
    return value


# --- accepted values -------------------------------------------------------------------------

EVERY_TYPE = {
    # [dynalite "should put multi attribute item"]
    "s": {"S": "a"}, "n": {"N": "-56.789"}, "b": {"B": "Yg=="}, "t": {"BOOL": False}, "z": {"NULL": True},
    "ss": {"SS": ["a"]}, "ns": {"NS": ["-56.789"]}, "bs": {"BS": ["Yg=="]},
    "l": {"L": [{"S": "a"}, {"N": "-56.789"}, {"B": "Yg=="}, {"BOOL": True}, {"NULL": True}, {"SS": ["a"]},
                {"NS": ["-56.789"]}, {"BS": ["Yg=="]}, {"L": []}, {"M": {}}]},
    "m": {"M": {"a": {"S": "a"}, "j": {"M": {"a": {"M": {}}, "b": {"L": []}}}}},
}


def test_an_item_of_every_type_is_accepted_unchanged():
    assert values.validate_item(EVERY_TYPE) == EVERY_TYPE


ACCEPTED = [
    # Empty strings and binaries are allowed outside keys, also inside sets.
    # [types], [dynalite "should put empty values"]
    ({"S": ""}, {"S": ""}),
    ({"B": ""}, {"B": ""}),
    ({"SS": [""]}, {"SS": [""]}),
    ({"BS": [""]}, {"BS": [""]}),
    # Lists and maps may be empty; only sets may not. [types]
    ({"L": []}, {"L": []}),
    ({"M": {}}, {"M": {}}),
    # Numbers are normalized wherever they are. [types: leading and trailing zeros are trimmed]
    ({"N": "007.50"}, {"N": "7.5"}),
    ({"NS": ["1e2", "+3", "-0"]}, {"NS": ["100", "3", "0"]}),
    ({"L": [{"N": "1.0"}, {"M": {"x": {"NS": ["0.50"]}}}]},
     {"L": [{"N": "1"}, {"M": {"x": {"NS": ["0.5"]}}}]}),
    # Members the AttributeValue shape does not have are ignored, as is a member sent as JSON null.
    ({"S": "a", "Z": 5}, {"S": "a"}),
    ({"S": "a", "N": None}, {"S": "a"}),
    # The deepest value AWS accepts: 31 wraps, the leaf at level 32. [nesting], [quotas]
    (deep_map(31), deep_map(31)),
    (deep_list(31), deep_list(31)),
]


@pytest.mark.parametrize(("value", "stored"), ACCEPTED)
def test_a_valid_value_is_accepted_and_normalized(value, stored):
    assert values.validate_item({"a": value}) == {"a": stored}
    assert values.validate_value(value) == stored


# --- validation errors -----------------------------------------------------------------------

REFUSED = [
    # No type, or no known type. [dynalite "unsupported datatype in Item"]
    ({}, EMPTY),
    ({"a": ""}, EMPTY),
    ({"M": {"a": {}}}, EMPTY),
    ({"L": [{}]}, EMPTY),
    ({"L": [{"a": {}}]}, EMPTY),
    ({"S": None}, EMPTY),
    ({"L": [None]}, EMPTY),
    ({"M": {"a": None}}, EMPTY),
    # Two types. [dynalite "multiple datatypes in Item"]
    ({"S": "a", "N": "1"}, MULTIPLE),
    ({"L": [], "M": {}}, MULTIPLE),
    # ...but each member is checked first, so a bad number wins. [dynalite "empty/invalid numbers"]
    ({"S": "a", "N": "b"}, f"{NOT_NUMERIC}: b"),
    ({"NS": [], "S": "a"}, INVALID + "An number set  may not be empty"),
    # NULL must be true. [dynalite "invalid values in Item"]
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
    # Empty sets, in DynamoDB's own words (doubled space included). [dynalite "invalid values in Item"]
    ({"SS": []}, INVALID + "An string set  may not be empty"),
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    # Duplicates, as the current layer words them: members quoted, in byte order up to the first
    # repeat, then the repeat, then the rest as sent; none for a number set. [layers]
    ({"SS": ["b", "a", "b"]}, INVALID + 'Input collection ["a", "b", "b"] contains duplicates.'),
    ({"SS": ["a", "a"]}, INVALID + 'Input collection ["a", "a"] contains duplicates.'),
    ({"SS": ["c", "a", "a", "b"]}, INVALID + 'Input collection ["a", "c", "a", "b"] contains duplicates.'),
    ({"SS": ["", ""]}, INVALID + 'Input collection ["", ""] contains duplicates.'),
    ({"BS": ["/w==", "AA==", "AA=="]},
     INVALID + 'Input collection ["AA==","/w==","AA=="]of type BS contains duplicates.'),
    ({"NS": ["2", "1", "2"]}, INVALID + "Input collection contains duplicates."),
    # A number set's members are compared as numbers: 1 and 1.0 are the same member.
    ({"NS": ["1", "1.0"]}, INVALID + "Input collection contains duplicates."),
    ({"NS": ["100", "1e2"]}, INVALID + "Input collection contains duplicates."),
    # Numbers, wherever they are. [layers: "member" and "nested"]
    ({"N": "abc"}, f"{NOT_NUMERIC}: abc"),
    ({"N": ""}, f"{NOT_NUMERIC}: "),
    ({"NS": ["1", ""]}, f"{NOT_NUMERIC}: "),
    ({"NS": ["1", "b"]}, f"{NOT_NUMERIC}: b"),
    ({"M": {"x": {"L": [{"N": "1e126"}]}}}, OVERFLOW),
    ({"N": "1e-131"}, UNDERFLOW),
    ({"N": "1" * 39}, "Attempting to store more than 38 significant digits in a Number"),
    # Null set members.
    ({"NS": ["1", None]}, NOT_NUMERIC),
    ({"SS": ["a", None]}, INVALID + "An string set may not have a null string as a member"),
    ({"BS": [None]}, INVALID + "Binary sets may not contain null or empty values"),
    # One level too deep, whether by maps or lists, and far too deep. [nesting], [quotas]
    (deep_map(32), NESTING),
    (deep_list(32), NESTING),
    (deep_map(61), NESTING),
    ({"L": [deep_map(30), {"M": {"x": deep_list(31)}}]}, NESTING),
]


@pytest.mark.parametrize(("value", "message"), REFUSED)
def test_an_invalid_value_is_refused_with_dynamodbs_message(value, message):
    with pytest.raises(ValidationException) as in_item:
        values.validate_item({"a": value})
    assert in_item.value.message == message
    with pytest.raises(ValidationException) as alone:
        values.validate_value(value)
    assert alone.value.message == message


LEGACY = [
    # BatchWriteItem, TransactWriteItems, TransactGetItems and Scan still word these the older way:
    # members as sent and unquoted, no prefix or full stop for a number set, no ": " for "". [layers]
    ({"SS": ["b", "a", "b"]}, INVALID + "Input collection [b, a, b] contains duplicates."),
    ({"BS": ["/w==", "AA==", "AA=="]},
     INVALID + "Input collection [/w==, AA==, AA==]of type BS contains duplicates."),
    ({"NS": ["2", "1", "2"]}, "Input collection contains duplicates"),
    ({"N": ""}, NOT_NUMERIC),
    ({"NS": ["1", ""]}, NOT_NUMERIC),
    # Everything else is worded the same in both layers.
    ({"N": "abc"}, f"{NOT_NUMERIC}: abc"),
    ({"SS": []}, INVALID + "An string set  may not be empty"),
]


@pytest.mark.parametrize(("value", "message"), LEGACY)
def test_the_older_validation_layer_keeps_its_own_wording(value, message):
    with pytest.raises(ValidationException) as refused:
        values.validate_item({"a": value}, legacy=True)
    assert refused.value.message == message


def test_the_first_invalid_attribute_in_document_order_is_reported():
    item = {"a": {"S": "ok"}, "b": {"NS": []}, "c": {"NULL": False}}
    with pytest.raises(ValidationException, match="number set"):
        values.validate_item(item)


# --- wire-shape errors -----------------------------------------------------------------------

BLOB_NOT_BASE64 = "only base-64-encoded strings are convertible to bytes"
STRUCTURE_HERE = "Start of structure or map found where not expected"

MALFORMED = [
    # A string member given another JSON type. [dynalite helpers.js assertType String]
    ({"S": 23}, "NUMBER_VALUE cannot be converted to String"),
    ({"S": 34.56}, "DECIMAL_VALUE cannot be converted to String"),
    ({"S": True}, "TRUE_VALUE cannot be converted to String"),
    ({"S": False}, "FALSE_VALUE cannot be converted to String"),
    ({"S": []}, "Unrecognized collection type class java.lang.String"),
    ({"S": {}}, STRUCTURE_HERE),
    ({"N": 123}, "NUMBER_VALUE cannot be converted to String"),  # a number must be sent as a string
    ({"SS": ["a", 5]}, "NUMBER_VALUE cannot be converted to String"),
    ({"NS": [1]}, "NUMBER_VALUE cannot be converted to String"),
    # Booleans. [dynalite assertType Boolean]
    ({"BOOL": "true"}, "Unexpected token received from parser"),
    ({"BOOL": 23}, "NUMBER_VALUE cannot be converted to Boolean"),
    ({"NULL": 34.56}, "DECIMAL_VALUE cannot be converted to Boolean"),
    ({"NULL": []}, "Unrecognized collection type class java.lang.Boolean"),
    ({"BOOL": {}}, STRUCTURE_HERE),
    # Binaries: base64 strings only, in canonical form. [dynalite assertType Blob]
    ({"B": True}, BLOB_NOT_BASE64),
    ({"B": 23}, BLOB_NOT_BASE64),
    ({"BS": [34.56]}, BLOB_NOT_BASE64),
    ({"B": []}, "Unrecognized collection type class java.nio.ByteBuffer"),
    ({"B": {}}, STRUCTURE_HERE),
    ({"B": "23456"}, "Base64 encoded length is expected a multiple of 4 bytes but found: 5"),
    ({"B": "=+/="}, "Invalid last non-pad Base64 character dectected"),
    ({"B": "+/+="}, "Invalid last non-pad Base64 character dectected"),
    ({"B": "AB=="}, "Invalid last non-pad Base64 character dectected"),  # 0x00 with stray bits
    ({"BS": ["Yg==", "ab!="]}, "Invalid Base64 character: '!'"),
    ({"B": "A=AA"}, "Invalid Base64 character: '='"),
    ({"B": "A==="}, "Invalid Base64 character: '='"),
    # Lists and maps. [dynalite assertType List, Map]
    ({"SS": "a"}, "Unexpected field type"),
    ({"L": 5}, "Unexpected field type"),
    ({"BS": {}}, STRUCTURE_HERE),
    ({"M": "x"}, "Unexpected field type"),
    ({"M": []}, MAP_AS_LIST),
    # An attribute value that is not an object. [dynalite assertType ValueStruct]
    ({"L": ["x"]}, "Unexpected value type in payload"),
    ({"L": [[]]}, VALUE_AS_LIST),
    ({"M": {"a": 5}}, "Unexpected value type in payload"),
]


@pytest.mark.parametrize(("value", "message"), MALFORMED)
def test_a_wrong_json_type_is_a_serialization_error(value, message):
    with pytest.raises(SerializationException) as refused:
        values.validate_item({"a": value})
    assert refused.value.message == message


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ([], MAP_AS_LIST),
        ("x", "Unexpected field type"),
        ({"a": "x"}, "Unexpected value type in payload"),
        ({"a": []}, VALUE_AS_LIST),
    ],
)
def test_an_item_that_is_not_a_map_of_values_is_a_serialization_error(item, message):
    with pytest.raises(SerializationException) as refused:
        values.validate_item(item)
    assert refused.value.message == message


@pytest.mark.parametrize(
    "item",
    [
        {"a": {"NS": []}, "b": {"S": 5}},
        {"a": {"NULL": False, "S": 5}},
        {"a": {"N": "abc"}, "b": {"M": {"x": {"L": [{"B": 5}]}}}},
        # A body nested far past the limit is still read before it is refused. [nesting]
        {"a": {"M": {"n": deep_map(300)}}, "b": {"BOOL": "yes"}},
    ],
)
def test_a_serialization_error_anywhere_wins_over_an_earlier_validation_error(item):
    # Coral deserializes the whole request before DynamoDB validates any of it.
    with pytest.raises(SerializationException):
        values.validate_item(item)


def test_a_serialization_error_in_a_lone_value_wins_over_a_validation_error():
    with pytest.raises(SerializationException):
        values.validate_value({"SS": [], "N": 5})


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (None, ValidationException, EMPTY),
        ("x", SerializationException, "Unexpected value type in payload"),
        ([], SerializationException, VALUE_AS_LIST),
    ],
)
def test_a_lone_value_that_is_not_an_object_is_refused(value, error, message):
    with pytest.raises(error) as refused:
        values.validate_value(value)
    assert refused.value.message == message


# --- sizes -----------------------------------------------------------------------------------

SIZES = [
    # [sizes] Strings by UTF-8 bytes.
    ({"S": ""}, 0), ({"S": "abc"}, 3), ({"S": "é"}, 2), ({"S": "€"}, 3), ({"S": "😀"}, 4),
    # [sizes] Binaries by raw, decoded bytes.
    ({"B": ""}, 0), ({"B": "AA=="}, 1), ({"B": "AAA="}, 2), ({"B": "AAAA"}, 3), ({"B": "AAAAAA=="}, 4),
    # [sizes] NULL and BOOL: 1 byte.
    ({"NULL": True}, 1), ({"BOOL": False}, 1),
    # Numbers: see test_numbers (measured against AWS).
    ({"N": "0"}, 1), ({"N": "-42"}, 3), ({"N": "3.14159"}, 5),
    # [sizes] List or Map: 3 bytes, plus 1 per element, plus the elements (and a map's key names).
    ({"L": []}, 3), ({"M": {}}, 3),
    ({"L": [{"S": "ab"}]}, 3 + 1 + 2),
    ({"L": [{"S": "ab"}, {"NULL": True}]}, 3 + (1 + 2) + (1 + 1)),
    ({"M": {"k": {"S": "ab"}}}, 3 + (1 + 1 + 2)),
    ({"M": {"ké": {"L": [{"N": "1"}]}}}, 3 + (3 + 1 + (3 + 1 + 2))),
    # Sets: the sum of their members. [dynalite valSize]
    ({"SS": ["a", "bc", "€"]}, 1 + 2 + 3), ({"NS": ["1", "1.5"]}, 2 + 3), ({"BS": ["AA==", "AAAA"]}, 1 + 3),
]


@pytest.mark.parametrize(("value", "size"), SIZES)
def test_a_value_is_sized_by_dynamodbs_rules(value, size):
    assert values.value_size(value) == size


def test_an_item_is_sized_as_its_names_plus_its_values():
    # [sizes] each attribute is (UTF-8 bytes of its name) + (its value's size).
    item = {"a": {"S": "key"}, "bb": {"N": "12"}, "ccc": {"S": "cc"}, "ü": {"BOOL": True}}
    assert values.item_size(item) == (1 + 3) + (2 + 2) + (3 + 2) + (2 + 1)


def test_the_item_size_limit_is_400_kb():
    # [dynalite "item is too big"]: an item of exactly 409,600 bytes is accepted and one more is refused.
    assert values.MAX_ITEM_SIZE == 409_600
    at_limit = {"a": {"S": "k"}, "b": {"S": "x" * (409_600 - 1 - 1 - 1)}}
    assert values.item_size(at_limit) == values.MAX_ITEM_SIZE


# --- ordering and equality -------------------------------------------------------------------

COMPARED = [
    # Numbers numerically, not as text.
    ({"N": "10"}, {"N": "9"}, 1),
    ({"N": "-1"}, {"N": "-0.5"}, -1),
    ({"N": "1.5"}, {"N": "1.5"}, 0),
    # Strings by UTF-8 bytes: U+FFFF sorts before U+1F600 (UTF-16 order would say otherwise).
    ({"S": "a"}, {"S": "b"}, -1),
    ({"S": "Z"}, {"S": "a"}, -1),
    ({"S": "\uffff"}, {"S": "😀"}, -1),
    ({"S": "ab"}, {"S": "a"}, 1),
    # Binaries by their bytes, not their base64 text: 0x00 < 0xff though "/" < "A".
    ({"B": "AA=="}, {"B": "/w=="}, -1),
    ({"B": "/w=="}, {"B": "/w=="}, 0),
    # Values of different types, or of types without an order, cannot be compared.
    ({"N": "1"}, {"S": "1"}, None),
    ({"BOOL": True}, {"BOOL": False}, None),
    ({"NULL": True}, {"NULL": True}, None),
    ({"SS": ["a"]}, {"SS": ["a"]}, None),
    ({"L": []}, {"L": []}, None),
    ({"M": {}}, {"M": {}}, None),
]


@pytest.mark.parametrize(("a", "b", "order"), COMPARED)
def test_values_are_ordered_as_dynamodb_orders_them(a, b, order):
    assert values.compare(a, b) == order
    assert values.compare(b, a) == (None if order is None else -order)


EQUALITY = [
    ({"S": "a"}, {"S": "a"}, True),
    ({"S": "a"}, {"S": "b"}, False),
    ({"N": "1"}, {"S": "1"}, False),
    ({"B": "Yg=="}, {"B": "Yg=="}, True),
    ({"BOOL": True}, {"BOOL": False}, False),
    ({"NULL": True}, {"NULL": True}, True),
    # Sets regardless of order; a set never equals a set of another type.
    ({"SS": ["a", "b"]}, {"SS": ["b", "a"]}, True),
    ({"SS": ["a", "b"]}, {"SS": ["a"]}, False),
    ({"NS": ["1", "2"]}, {"NS": ["2", "1"]}, True),
    ({"SS": ["1"]}, {"NS": ["1"]}, False),
    # Lists in order; maps regardless of key order; both recursively.
    ({"L": [{"S": "a"}, {"N": "1"}]}, {"L": [{"S": "a"}, {"N": "1"}]}, True),
    ({"L": [{"S": "a"}, {"S": "b"}]}, {"L": [{"S": "b"}, {"S": "a"}]}, False),
    ({"L": [{"S": "a"}]}, {"L": [{"S": "a"}, {"S": "a"}]}, False),
    ({"M": {"x": {"N": "1"}, "y": {"S": "a"}}}, {"M": {"y": {"S": "a"}, "x": {"N": "1"}}}, True),
    ({"M": {"x": {"N": "1"}}}, {"M": {"x": {"N": "2"}}}, False),
    ({"M": {"x": {"N": "1"}}}, {"M": {"z": {"N": "1"}}}, False),
]


@pytest.mark.parametrize(("a", "b", "same"), EQUALITY)
def test_values_are_equal_by_type_and_value(a, b, same):
    assert values.equal(a, b) is same
    assert values.equal(b, a) is same


def test_numbers_are_equal_by_value_once_validated():
    # Validation leaves one spelling per number, so "1.0" and "1" are the same value.
    assert values.equal(values.validate_value({"N": "1.0"}), values.validate_value({"N": "1"}))
    assert values.equal(
        values.validate_value({"NS": ["1e2", "2"]}),
        values.validate_value({"NS": ["2", "100.0"]}),
    )
    assert values.compare(values.validate_value({"N": "1e3"}), values.validate_value({"N": "1000"})) == 0


@pytest.mark.parametrize(("tag", "value"), [(next(iter(v)), v) for v in EVERY_TYPE.values()])
def test_type_of_names_the_values_type(tag, value):
    assert values.type_of(value) == tag


def _random_value(rng, depth=0):
    kind = rng.choice(["S", "N", "B", "BOOL", "NULL", "SS", "NS", "BS"] + (["L", "M"] if depth < 3 else []))
    text = lambda: "".join(rng.choice("aZ9 é€😀\"\\") for _ in range(rng.randrange(0, 6)))  # noqa: E731
    number = lambda: rng.choice(["0", "-1", "7", "-0.5", "123456789", "1E-130", "-9.9E125", "3.14159"])  # noqa: E731
    blob = lambda: base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 5)))).decode()  # noqa: E731
    if kind == "S":
        return {"S": text()}
    if kind == "N":
        return {"N": number()}
    if kind == "B":
        return {"B": blob()}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind in ("SS", "NS", "BS"):
        make = {"SS": text, "NS": number, "BS": blob}[kind]
        return {kind: list(dict.fromkeys(make() for _ in range(1, 4)))}
    if kind == "L":
        return {"L": [_random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]}
    return {"M": {text(): _random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))}}


def test_an_items_stored_json_is_never_shorter_than_its_dynamodb_size():
    # PutItem and UpdateItem skip the exact size walk when the JSON is within the 400 KB limit;
    # that is only sound if the JSON can never be shorter than DynamoDB's size.
    rng = random.Random(7)
    for _ in range(3000):
        item = values.validate_item({"".join(rng.choice("ab€😀") for _ in range(rng.randrange(1, 4))):
                              _random_value(rng) for _ in range(rng.randrange(1, 5))})
        assert len(orjson.dumps(item)) >= values.item_size(item), item
