"""DynamoDB's Number type: validation, canonical spelling, arithmetic, size and sort order.

Sources cited below:
  [types]  Developer Guide, "Supported data types and naming rules" (Number: 38 digits, range)
  [sizes]  Developer Guide, "Item sizes and formats"
  [scylla] ScyllaDB Alternator's test_number.py, checked against AWS (_NORMALIZATION_CASES)
  [dynalite] architect/dynalite test/putItem.js, recorded against AWS
  [conformance] dynamodb-conformance suite, captured against AWS: tests/tier3/limits/numberExponent,
           tests/tier3/error-messages/valueLayers, src/item-size.ts (CAPTURED_NUMBER_BYTES)
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from moatdb.errors import ValidationException
from moatdb.services.dynamodb import numbers

NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"
TOO_PRECISE = "Attempting to store more than 38 significant digits in a Number"

CANONICAL = [
    # Already canonical: returned as is. [scylla]
    ("1", "1"), ("123", "123"), ("-5", "-5"), ("0", "0"), ("1000", "1000"),
    ("3.14159", "3.14159"), ("-273.15", "-273.15"), ("0.001", "0.001"),
    # Leading zeros and a "+" are dropped. [scylla]
    ("007", "7"), ("001.23", "1.23"), ("00", "0"), ("+3", "3"), ("+0", "0"), ("+1.5", "1.5"),
    # Trailing fraction zeros are dropped. [scylla]
    ("1.0", "1"), ("1.00", "1"), ("1.10", "1.1"), ("100.000", "100"), ("0.0", "0"), ("0.10", "0.1"),
    # Exponents are expanded: DynamoDB never answers in scientific notation. [scylla]
    ("1e3", "1000"), ("1E3", "1000"), ("1e+3", "1000"), ("1E+3", "1000"), ("-3e2", "-300"),
    ("1.23e4", "12300"), ("1e-3", "0.001"), ("123e-2", "1.23"), ("1.23e-1", "0.123"),
    ("1.0e3", "1000"), ("1.0e-1", "0.1"), ("1e20", "100000000000000000000"),
    ("1e-20", "0.00000000000000000001"), ("1e125", "1" + "0" * 125),
    # Zero has no sign, whatever it was written with. [scylla]
    ("-0", "0"), ("-0.0", "0"), ("0e5", "0"), ("0.0e3", "0"), ("0e-5", "0"),
    # BigDecimal's lenient forms: a bare fraction, a bare point. [scylla]
    (".5", "0.5"), ("-.5", "-0.5"), ("5.", "5"), ("1.e2", "100"),
    # At the limits: 38 digits, and the ends of the range. [dynalite "should put really long numbers"]
    ("0000012345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("-00001.23456789012345678901234567890123456780000", "-1.2345678901234567890123456789012345678"),
    ("0009.99999999999999999999999999999999999990000e125", "9" * 38 + "0" * 88),
    ("-0009.99999999999999999999999999999999999990000e125", "-" + "9" * 38 + "0" * 88),
    ("0001.000e-130", "0." + "0" * 129 + "1"),
    ("-0001.000e-130", "-0." + "0" * 129 + "1"),
    # Trailing zeros are not significant, so 40 characters can still be 1 digit.
    ("1" + "0" * 39, "1" + "0" * 39),
    # Zero at the edge of the range by its written exponent. [conformance numberExponent]
    ("0e125", "0"),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL)
def test_a_valid_number_is_returned_in_its_canonical_spelling(text, canonical):
    assert numbers.normalize(text) == canonical


@pytest.mark.parametrize("canonical", sorted({c for _, c in CANONICAL}))
def test_normalizing_is_idempotent(canonical):
    assert numbers.normalize(canonical) == canonical


INVALID = [
    # Not numbers at all; the message echoes the text, even an empty one. [conformance valueLayers]
    ("abc", f"{NOT_NUMERIC}: abc"),
    ("1.2.3", f"{NOT_NUMERIC}: 1.2.3"),
    ("", f"{NOT_NUMERIC}: "),
    (" 1", f"{NOT_NUMERIC}:  1"),
    ("1 ", f"{NOT_NUMERIC}: 1 "),
    ("0x10", f"{NOT_NUMERIC}: 0x10"),
    ("1e", f"{NOT_NUMERIC}: 1e"),
    ("NaN", f"{NOT_NUMERIC}: NaN"),
    ("Infinity", f"{NOT_NUMERIC}: Infinity"),
    ("-Infinity", f"{NOT_NUMERIC}: -Infinity"),
    ("1_000", f"{NOT_NUMERIC}: 1_000"),
    (".", f"{NOT_NUMERIC}: ."),
    ("+", f"{NOT_NUMERIC}: +"),
    ("e5", f"{NOT_NUMERIC}: e5"),
    ("--1", f"{NOT_NUMERIC}: --1"),
    ("1e5.5", f"{NOT_NUMERIC}: 1e5.5"),
    # Out of range, either way, either sign. [dynalite "empty/invalid numbers"]
    ("1e126", OVERFLOW), ("-1e126", OVERFLOW), ("1e-131", UNDERFLOW), ("-1e-131", UNDERFLOW),
    ("10e125", OVERFLOW), ("0.1e-130", UNDERFLOW),
    # More than 38 significant digits, however placed. [dynalite, conformance valueLayers]
    ("123456789012345678901234567890123456789", TOO_PRECISE),
    ("-1.23456789012345678901234567890123456789", TOO_PRECISE),
    ("1234567890123456789012345678901234567890", TOO_PRECISE),
    # The exponent is read in full: past 64 bits it cannot be read, inside it is range-checked,
    # and zero is checked by the exponent it was written with. [conformance numberExponent]
    ("1e9223372036854775808", f"{NOT_NUMERIC}: 1e9223372036854775808"),
    ("1e9223372036854775807", OVERFLOW),
    ("1e99999999999", OVERFLOW), ("-1e99999999999", OVERFLOW), ("1e-99999999999", UNDERFLOW),
    ("1e2147483647", OVERFLOW), ("1e-2147483648", UNDERFLOW),
    ("0e126", OVERFLOW), ("0e-131", UNDERFLOW),
    ("1e" + "9" * 5000, f"{NOT_NUMERIC}: 1e" + "9" * 5000),
]


@pytest.mark.parametrize(("text", "message"), INVALID, ids=[t[:30] for t, _ in INVALID])
def test_an_invalid_number_is_refused_with_dynamodbs_message(text, message):
    with pytest.raises(ValidationException) as refused:
        numbers.normalize(text)
    assert refused.value.message == message


def test_range_is_checked_before_precision():
    # Overflow wins over too many digits, as dynalite's checkNum (from AWS's behaviour) orders them.
    with pytest.raises(ValidationException, match="overflow"):
        numbers.normalize("1" * 39 + "e100")


ARITHMETIC = [
    (numbers.add, "1", "10000000000000000000000", "10000000000000000000001"),  # [scylla] no doubles
    (numbers.subtract, "10000000000000000000000", "1", "9999999999999999999999"),
    (numbers.subtract, "0.3", "0.1", "0.2"),  # moto#10092, AWS's answer
    (numbers.subtract, "100000000000000000000.00000001", "1", "99999999999999999999.00000001"),
    (numbers.add, "9" + "0" * 125, "9" + "0" * 124, "99" + "0" * 124),  # 9e125 + 9e124 = 9.9e125
    (numbers.add, "1.5", "-1.5", "0"),
    (numbers.subtract, "-2", "-2", "0"),
    (numbers.add, "-0.25", "0.05", "-0.2"),
]


@pytest.mark.parametrize(("operation", "a", "b", "result"), ARITHMETIC)
def test_arithmetic_is_exact_and_canonical(operation, a, b, result):
    assert operation(a, b) == result


ARITHMETIC_REFUSED = [
    # 9e125 + 9e125 overflows; so does subtracting its negative. [scylla test_update_expression_plus_overflow]
    (numbers.add, "9" + "0" * 125, "9" + "0" * 125, OVERFLOW),
    (numbers.subtract, "9" + "0" * 125, "-9" + "0" * 125, OVERFLOW),
    # 1e50 + 1 needs 51 digits; AWS words that as an overflow. [scylla test_update_expression_plus_imprecise]
    (numbers.add, "1" + "0" * 50, "1", OVERFLOW),
    (numbers.subtract, "1" + "0" * 50, "1", OVERFLOW),
    (numbers.add, "1", "0." + "0" * 40 + "1", OVERFLOW),
    # A difference below 1E-130 has nowhere to go:
    # 1.001E-128 - 1E-128 = 1E-131
    (numbers.subtract, "0." + "0" * 127 + "1001", "0." + "0" * 127 + "1", UNDERFLOW),
]


@pytest.mark.parametrize(("operation", "a", "b", "message"), ARITHMETIC_REFUSED)
def test_arithmetic_out_of_range_or_precision_is_refused(operation, a, b, message):
    with pytest.raises(ValidationException) as refused:
        operation(a, b)
    assert refused.value.message == message


def test_to_decimal_is_exact():
    assert numbers.to_decimal("0.1") + numbers.to_decimal("0.2") == Decimal("0.3")
    assert numbers.to_decimal("9" * 38 + "0" * 88) == Decimal("9.9999999999999999999999999999999999999E+125")


# Every literal the conformance suite measured against AWS's 400 KB gate, to the byte
# [conformance src/item-size.ts]; the Developer Guide's rule is only approximate [sizes].
CAPTURED_SIZES = [
    ("0", 1), ("1", 2), ("12", 2), ("123", 3), ("1234", 3), ("12345678901234567890123456789012345678", 20),
    ("0042", 2), ("100", 2), ("1010", 3), ("0.0000001", 2), ("1E125", 2), ("1E-100", 2), ("1.5", 3),
    ("15", 2), ("1.2", 3), ("1.200", 3), ("1.234", 4), ("3.14159", 5), ("123456", 4), ("100.5", 4),
    ("0.15", 2), ("-42", 3), ("-0", 1),
    # dynalite's item-size tests against AWS: 38 ones then 88 zeros cost 20 bytes, 7 ones 5.
    ("1" * 38 + "0" * 88, 20), ("1" * 7 + "0" * 119, 5), ("11" + "0" * 124, 2),
]


@pytest.mark.parametrize(("literal", "size"), CAPTURED_SIZES)
def test_a_number_costs_what_aws_charges_for_it(literal, size):
    assert numbers.byte_size(numbers.normalize(literal)) == size


def _random_number(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 38)))
    exponent = rng.randint(-130, 125 - len(digits) + 1)
    sign = rng.choice(["", "-"])
    text = f"{sign}{digits}e{exponent}"
    try:
        return numbers.normalize(text)
    except ValidationException:  # a leading zero moved the magnitude below the range
        return "0"


def test_sort_key_bytes_order_is_numeric_order():
    rng = random.Random(20120810)
    pool = [_random_number(rng) for _ in range(5000)]
    # Edges and near-ties, where a prefix-based encoding would go wrong.
    pool += ["0", "1", "-1", "10", "-10", "1.1", "-1.1", "1.01", "-1.01", "9", "-9", "0.9", "-0.9",
             "9" * 38 + "0" * 88, "-" + "9" * 38 + "0" * 88, "0." + "0" * 129 + "1", "-0." + "0" * 129 + "1",
             "12", "120", "1.2", "0.12", "-12", "-120", "-1.2", "-0.12"]
    by_bytes = sorted(pool, key=numbers.sort_key_bytes)
    by_value = sorted(pool, key=Decimal)
    assert [Decimal(n) for n in by_bytes] == [Decimal(n) for n in by_value]


def test_sort_key_bytes_are_equal_exactly_for_equal_numbers():
    thousand = numbers.sort_key_bytes(numbers.normalize("1e3"))
    assert thousand == numbers.sort_key_bytes(numbers.normalize("1000.0"))
    assert numbers.sort_key_bytes("1") != numbers.sort_key_bytes("10")


def test_sort_key_bytes_are_prefix_free_so_a_suffix_cannot_reorder_them():
    rng = random.Random(7)
    pool = [_random_number(rng) for _ in range(2000)]
    by_bytes = sorted(pool, key=lambda n: numbers.sort_key_bytes(n) + b"\xff\x00" * rng.randint(0, 2))
    assert [Decimal(n) for n in by_bytes] == sorted(Decimal(n) for n in pool)
