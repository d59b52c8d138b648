"""DynamoDB's Number type: a decimal of up to 38 significant digits, kept as its canonical string.

DynamoDB accepts a number written as Java's ``BigDecimal`` would read it (``+5``, ``.5``, ``1E+2``),
checks it against its range (magnitude 1E-130 to 9.99...E+125, or zero) and precision (38 digits),
and from then on only ever returns it in one canonical, plain-decimal spelling: no exponent, no
leading or trailing zeros, no ``+``, no ``-0``. Keeping that spelling as *the* value means two
numbers are equal exactly when their strings are, and nothing is converted on the way out.

Developer Guide, "Supported data types and naming rules" (Number) and "Item sizes and formats".
"""

from __future__ import annotations

import re
from decimal import Context, Decimal

from moatdb.errors import ValidationException

MAX_DIGITS = 38
MAX_MAGNITUDE = 125  # the decimal exponent of the leading digit: 9.99...E+125
MIN_MAGNITUDE = -130  # 1E-130

NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
TOO_PRECISE = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = "Number underflow. Attempting to store a number with magnitude smaller than supported range"

# Already canonical, and short enough (at most 38 characters, so at most 38 digits) that neither
# the precision nor the range can be exceeded: "42", "-7", "3.14", "0.001". Most numbers are.
_CANONICAL_SHORT = re.compile(r"0|-?(?:[1-9][0-9]*(?:\.[0-9]*[1-9])?|0\.[0-9]*[1-9])")
# Everything BigDecimal reads: optional sign, digits with an optional point, optional exponent.
# ASCII digits only, no spaces, no "NaN"/"Infinity", no hex, no underscores.
_GRAMMAR = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
# An exponent that does not fit a signed 64-bit integer cannot be read at all; one that does is
# range-checked like any other (conformance captures: 1e9223372036854775808 vs 1e99999999999).
_LONGEST_EXPONENT = len(str(2**63))

# Exact for any two in-range operands: their digits span at most 125 + 130 + 38 places.
_EXACT = Context(prec=400, Emax=10**6, Emin=-(10**6))


def normalize(text: str) -> str:
    """Validate a number as sent by a client and return DynamoDB's canonical spelling of it.

    Raises ``ValidationException`` with DynamoDB's message for text that is not a number, a
    magnitude out of range (checked first, as DynamoDB does) or more than 38 significant digits.
    """
    if len(text) <= MAX_DIGITS and _CANONICAL_SHORT.fullmatch(text):
        return text
    match = _GRAMMAR.fullmatch(text)
    if match is None or not (match[2] or match[3]):
        raise ValidationException(f"{NOT_NUMERIC}: {text}")
    sign, whole, fraction, exponent_text = match[1], match[2], match[3] or "", match[4]
    exponent = 0
    if exponent_text is not None:
        if len(exponent_text.lstrip("+-").lstrip("0")) > _LONGEST_EXPONENT:
            raise ValidationException(f"{NOT_NUMERIC}: {text}")
        exponent = int(exponent_text)
        if not -(2**63) <= exponent < 2**63:
            raise ValidationException(f"{NOT_NUMERIC}: {text}")
    mantissa = (whole + fraction).lstrip("0")
    exponent -= len(fraction)
    if not mantissa:
        # Zero is range-checked by the exponent it was written with: "0e126" overflows while
        # "0e125" is stored as 0 (conformance suite, numberExponent, captured against AWS).
        _check_range(exponent)
        return "0"
    return _canonical(sign == "-", mantissa, exponent, TOO_PRECISE)


def to_decimal(text: str) -> Decimal:
    """The exact value of a (canonical) number, for arithmetic and ordering."""
    return Decimal(text)


def add(a: str, b: str) -> str:
    """``a + b`` for two canonical numbers, exactly, as ``SET x = x + :v`` and ``ADD`` compute it."""
    return _from_decimal(_EXACT.add(Decimal(a), Decimal(b)))


def subtract(a: str, b: str) -> str:
    """``a - b`` for two canonical numbers, exactly, as ``SET x = x - :v`` computes it."""
    return _from_decimal(_EXACT.subtract(Decimal(a), Decimal(b)))


def byte_size(text: str) -> int:
    """What a canonical number costs toward the item size.

    DynamoDB stores a number's significant digits in base 100, two decimal digits to a byte aligned
    on the decimal point, plus one byte of exponent and one more when negative; zero is one byte.
    So ``12`` costs 2 but ``1.2`` costs 3 (its digits straddle the point), and ``1E125`` costs 2.
    The Developer Guide's "1 byte per two significant digits, plus 1" is only approximate; this
    rule reproduces every figure measured against AWS (dynalite's ``valSize``, and the conformance
    suite's 23 captured literals in ``src/item-size.ts``).
    """
    negative, digits, magnitude = _parts(text)
    if not digits:
        return 1
    lowest = magnitude - len(digits) + 1  # decimal position of the last significant digit
    return 1 + (magnitude // 2 - lowest // 2 + 1) + negative


def sort_key_bytes(text: str) -> bytes:
    """An encoding of a canonical number whose byte order (memcmp) is its numeric order.

    Negative numbers (tag 1) sort before zero (tag 2) before positive numbers (tag 3). Within a
    sign, a byte for the leading digit's exponent orders by magnitude, then the digits themselves:
    as ASCII for positives, and complemented (9 - d) for negatives so that larger magnitudes sort
    first. A terminator below (positive) or above (negative) every digit byte makes the encoding
    prefix-free, so it can be followed by other key bytes without changing the order.
    """
    negative, digits, magnitude = _parts(text)
    if not digits:
        return b"\x02"
    biased = magnitude - MIN_MAGNITUDE  # 0..255 for every number in range
    if negative:
        return bytes((1, 255 - biased)) + digits.translate(_COMPLEMENT).encode() + b"\xff"
    return bytes((3, biased)) + digits.encode() + b"\x00"


_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def _parts(text: str) -> tuple[bool, str, int]:
    """(negative, significant digits, exponent of the leading digit) of a canonical number.

    Zero has no significant digits. Relies on the canonical form: no exponent, no leading zero
    before a non-zero integer part, no trailing zero after the point.
    """
    negative = text[0] == "-"
    whole, _, fraction = (text[1:] if negative else text).partition(".")
    if whole != "0":
        return negative, (whole + fraction).rstrip("0"), len(whole) - 1
    digits = fraction.lstrip("0")
    return negative, digits, len(digits) - len(fraction) - 1


def _check_range(magnitude: int) -> None:
    if magnitude > MAX_MAGNITUDE:
        raise ValidationException(OVERFLOW)
    if magnitude < MIN_MAGNITUDE:
        raise ValidationException(UNDERFLOW)


def _canonical(negative: bool, mantissa: str, exponent: int, too_precise: str) -> str:
    """The plain-decimal spelling of ``±mantissa × 10^exponent`` (mantissa without leading zeros)."""
    _check_range(exponent + len(mantissa) - 1)
    digits = mantissa.rstrip("0")
    exponent += len(mantissa) - len(digits)
    if len(digits) > MAX_DIGITS:
        raise ValidationException(too_precise)
    if exponent >= 0:
        body = digits + "0" * exponent
    else:
        point = len(digits) + exponent
        body = digits[:point] + "." + digits[point:] if point > 0 else "0." + "0" * -point + digits
    return "-" + body if negative else body


def _from_decimal(value: Decimal) -> str:
    sign, digit_tuple, exponent = value.as_tuple()
    mantissa = "".join(map(str, digit_tuple)).lstrip("0")
    if not mantissa:
        return "0"
    # A result that needs more than 38 digits is refused, and DynamoDB words that as an overflow
    # (1e50 + 1, observed by ScyllaDB's Alternator tests against AWS: test_update_expression_plus_imprecise).
    return _canonical(bool(sign), mantissa, int(exponent), OVERFLOW)
