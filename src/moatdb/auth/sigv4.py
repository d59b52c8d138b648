"""AWS Signature Version 4, verified: a pure function of one request (no I/O, no storage).

The verifier rebuilds the canonical request and the string to sign exactly as AWS's specification
("Create a signed AWS API request", IAM User Guide) and botocore do, derives the signing key, and
compares signatures in constant time. It accepts both forms a client can sign with: the
``Authorization`` header, and the query string of a presigned URL (``X-Amz-Algorithm`` & co.).

API
---
``SigningKeyRecord(secret_key, session_token=None, expires_at=None)``
    What moatdb knows about one access key id. ``session_token`` set means temporary credentials:
    the request must carry exactly that token (``X-Amz-Security-Token``). ``expires_at`` is epoch
    seconds; a temporary key past it answers ``ExpiredTokenException``, a long-term key past it is
    treated as unknown.

``Verified(access_key, region, service, signed_at, presigned)``
    The outcome of a request that verified: who signed it, for which scope, when (epoch seconds of
    its ``X-Amz-Date``) and whether it came as a presigned URL.

``SigV4Verifier(*, region, lookup, clock=time.time, max_skew_seconds=300)``
    One per server. ``lookup(access_key_id)`` returns a ``SigningKeyRecord`` or ``None``; it is
    called once per request, after every check that needs no key. Signing keys (four chained
    HMACs) are cached per (secret, date, region, service) in a small bounded dict: they change
    daily, requests repeat them.

``SigV4Verifier.verify(*, service, method, path, query, headers, body) -> Verified``
    ``service`` is the service the request is for (``"dynamodb"``, ``"sts"``): the credential scope
    must name it. ``path`` and ``query`` are the request target as sent (ASGI's ``raw_path`` and
    ``query_string``; ``bytes`` preferred, a ``str`` is taken as its UTF-8 encoding), not their
    percent-decoded forms: SigV4 encodes the path as sent once more. ``headers`` is the ASGI header
    list (lower-case byte names, byte values, names possibly repeated); ``body`` the whole body.
    Raises the exception of ``moatdb.errors`` AWS answers with, in AWS's words.

Canonical request (what the signature covers)
---------------------------------------------
- method; the path with dot segments and repeated slashes removed (every service but S3
  normalizes; DynamoDB and STS are always ``/``), then URI-encoded (``/`` and unreserved kept);
- the query: every parameter decoded (``+`` is a space, as botocore sends one) and re-encoded per
  RFC 3986 (uppercase hex, unreserved ``A-Za-z0-9-_.~`` kept), sorted by encoded name then encoded
  value; a presigned request leaves out ``X-Amz-Signature``;
- each signed header, in the order ``SignedHeaders`` lists it: ``name:value``, the value trimmed with
  inner whitespace runs collapsed to one space, a repeated header's values joined by ``,``;
- ``SignedHeaders``; the hex SHA-256 of the body received. The payload line is always computed
  from the body: an ``x-amz-content-sha256`` header that differs from it fails as a signature
  mismatch, and ``UNSIGNED-PAYLOAD`` is not special: DynamoDB answers a client that signed the
  literal with the ordinary mismatch (ExtendDB's tests recorded against DynamoDB, 2026). Presigned
  requests sign the hash of their (empty) body too, as botocore's ``SigV4QueryAuth`` does for every
  service but S3.

Order of the checks (DynamoDB's, from architect/dynalite's index.js, which records it from the
service, and ScyllaDB's Alternator tests, run against DynamoDB: the date is judged before the
credential scope)
--------------------------------------------------------------------------------------------------
1. ``Authorization`` header and ``X-Amz-Algorithm`` query parameter both present: InvalidSignature
   "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
2. Neither, or a header not starting ``AWS4-``: MissingAuthenticationToken "Request is missing
   Authentication Token".
3. Header form: a parameter without ``=``: IncompleteSignature "'Credential' not a valid key=value
   pair (missing equal-sign) in Authorization header: '<header>'." Parameters are separated by
   commas and/or whitespace. Then the missing (or empty) parameters, all named in one message:
   "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature'
   parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header
   requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=<header>".
   Query form: "AWS query-string parameters must include 'X-Amz-Algorithm'. ... 'X-Amz-Credential'
   ... 'X-Amz-Signature' ... 'X-Amz-SignedHeaders' ... 'X-Amz-Date'. Re-examine the query-string
   parameters." (dynalite's test/connection.js, captured from DynamoDB.)
4. The date (``X-Amz-Date``, else ``Date``; the ``X-Amz-Date`` parameter when presigned) must be
   ``YYYYMMDDTHHMMSSZ``: IncompleteSignature "Date must be in ISO-8601 'basic format'. Got '<date>'.
   See http://en.wikipedia.org/wiki/ISO_8601". A presigned ``X-Amz-Expires`` must be a whole number
   of seconds, 0..604800, in S3's words (IncompleteSignature): "X-Amz-Expires should be a number",
   "X-Amz-Expires must be non-negative", "X-Amz-Expires must be less than a week (in seconds); that
   is, the given X-Amz-Expires must be less than 604800 seconds".
5. The clock: InvalidSignature "Signature expired: 20130301T000000Z is now earlier than
   20130609T094515Z (20130609T100015Z - 5 min.)" or "Signature not yet current: <date> is still
   later than <now + skew> (<now> + 5 min.)". The window is ``max_skew_seconds`` (default 300, and
   the message says "5 min."; a window of no whole minutes reads "90 sec."). DynamoDB's own window:
   dynalite's 2013 capture and SDK reports up to 2019 read "15 min."; a 2025 report from DynamoDB
   (aws-sdk-js-v3#7605) reads "5 min.", as do most AWS services; moatdb uses 5. A presigned request
   expires ``X-Amz-Expires`` seconds after its date, refused with the same sentence naming that
   lifetime ("(<now> - 15 min.)" for 900). AWS's Coral services are reported to ignore
   ``X-Amz-Expires`` and keep only their skew window (aws-sdk-go#2167, #2304), which would make
   every botocore presigned URL (3600 s by default) useless after five minutes; moatdb honours the
   lifetime the client signed. Without ``X-Amz-Expires`` the skew window applies.
6. ``host`` must be signed: InvalidSignature "'Host' must be a 'SignedHeader' in the AWS
   Authorization."
7. The algorithm: IncompleteSignature "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only
   AWS4-HMAC-SHA256 for now). "
8. The credential, trailing slashes ignored: IncompleteSignature "Credential must have exactly 5
   slash-delimited elements, e.g. keyid/date/region/service/term, got '<credential>'".
9. Its scope, every fault in one InvalidSignature message, each sentence ending ". " as DynamoDB's
   do: "Credential should be scoped to a valid region. " (DynamoDB no longer names the region:
   ExtendDB's 2026 capture), "Credential should be scoped to correct service: 'dynamodb'. ",
   "Credential should be scoped with a valid terminator: 'aws4_request', not '<term>'. ", "Date in
   Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '<day>' !=
   '<date[:8]>', from '<date>'."
10. The access key id: UnrecognizedClient "The security token included in the request is
    invalid." (with the period: dynalite, ExtendDB).
11. The signature: InvalidSignature "The request signature we calculated does not match the
    signature you provided. Check your AWS Secret Access Key and signing method. Consult the
    service documentation for details." AWS used to append the canonical request and string to
    sign it expected; moatdb never does.
12. The session token, once the signature proved the secret: missing for a temporary key, present
    for a long-term one, or another token: UnrecognizedClient "The security token included in the
    request is invalid" (no period: dynalite; ExtendDB 2026; PynamoDB#603 for a temporary key sent
    without its token). A temporary key past ``expires_at``: ExpiredToken "The security token
    included in the request is expired".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from calendar import timegm
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote_from_bytes, unquote_to_bytes

from moatdb.errors import (
    ExpiredTokenException,
    IncompleteSignatureException,
    InvalidSignatureException,
    MissingAuthenticationTokenException,
    UnrecognizedClientException,
)

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
MAX_EXPIRES_SECONDS = 604800  # seven days: a signing key lives no longer

MISSING_TOKEN = "Request is missing Authentication Token"
FOUND_BOTH = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
HOST_NOT_SIGNED = "'Host' must be a 'SignedHeader' in the AWS Authorization."
UNKNOWN_KEY = "The security token included in the request is invalid."
BAD_TOKEN = "The security token included in the request is invalid"
EXPIRED_TOKEN = "The security token included in the request is expired"
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

_HEADER_PARAMS = ("Credential", "Signature", "SignedHeaders")
_QUERY_PARAMS = (
    b"X-Amz-Algorithm", b"X-Amz-Credential", b"X-Amz-Signature", b"X-Amz-SignedHeaders", b"X-Amz-Date",
)
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest().encode()
_BASIC_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z\Z")
_UNRESERVED = re.compile(rb"[A-Za-z0-9\-_.~]*\Z").match
_ESCAPES = [bytes([b]) if _UNRESERVED(bytes([b])) else b"%%%02X" % b for b in range(256)]
_METHODS = {m: m.encode() for m in ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS")}
_CACHE_LIMIT = 512
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


@dataclass(frozen=True, slots=True)
class SigningKeyRecord:
    """What moatdb knows about one access key id."""

    secret_key: str
    session_token: str | None = None  # temporary credentials: this token must accompany the key
    expires_at: float | None = None  # epoch seconds; None = never


@dataclass(frozen=True, slots=True)
class Verified:
    access_key: str
    region: str
    service: str
    signed_at: float  # epoch seconds of X-Amz-Date
    presigned: bool


@dataclass(frozen=True, slots=True)
class _SignedHeaders:
    names: tuple[bytes, ...]  # lower-cased, in the order the client listed them
    line: bytes  # the SignedHeaders line of the canonical request
    has_host: bool
    # The canonical request around its variable parts, for one %-formatting: method, path, query,
    # each signed header's value, payload hash.
    template: bytes


class _Scope:
    """One credential's scope, and what it derives, kept across the requests that repeat it."""

    __slots__ = ("parts", "line", "secret", "states", "verified")

    def __init__(self, parts: list[str]):
        self.parts = parts  # access key, day, region, service, terminator
        self.line = "/".join(parts[1:]).encode()  # the string to sign's scope line, once it is checked
        self.secret: str | None = None  # the secret `states` were derived from
        self.states: tuple = ()
        self.verified: Verified | None = None  # the last outcome: immutable, so reusable while it holds


class SigV4Verifier:
    """Verifies AWS SigV4 requests for one region. Pure: its only state is caches."""

    def __init__(
        self,
        *,
        region: str,
        lookup: Callable[[str], SigningKeyRecord | None],
        clock: Callable[[], float] = time.time,
        max_skew_seconds: int = 300,
    ):
        if max_skew_seconds < 0:
            raise ValueError("max_skew_seconds must not be negative")
        self.region = region
        self._lookup = lookup
        self._clock = clock
        self._skew = max_skew_seconds
        # Bounded caches of pure functions of what clients resend: Authorization headers but their
        # signature, dates (one a second), scopes, SignedHeaders lists, and signing keys as HMAC states ready to copy.
        self._authorizations: dict[bytes, tuple[str, str, str]] = {}
        self._dates: dict[bytes, tuple[int, str]] = {}
        self._scopes: dict[str, _Scope] = {}
        self._signed_headers: dict[str, _SignedHeaders] = {}
        self._keys: dict[tuple[str, str, str, str], tuple] = {}

    def verify(
        self,
        *,
        service: str,
        method: str,
        path: str | bytes,
        query: str | bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> Verified:
        fields, repeated = _header_fields(headers)
        if query:
            if isinstance(query, str):
                query = query.encode("utf-8", "surrogateescape")
            params = _parse_query(query)
            presigned = any(name == b"X-Amz-Algorithm" for name, _ in params)
        else:
            params = None
            presigned = False
        authorization = fields.get(b"authorization")

        # Which form, and are its parts all there.
        if authorization:
            if presigned:
                raise InvalidSignatureException(FOUND_BOTH)
            algorithm, credential, signed_headers, signature = self._authorization(authorization)
            date = fields.get(b"x-amz-date") or fields.get(b"date")
            if not (credential and signature and signed_headers and date):
                raise IncompleteSignatureException(_missing_in_header(
                    authorization.decode("latin-1"), credential, signature, signed_headers, date
                ))
            token = fields.get(b"x-amz-security-token")
            expires = None
        elif presigned:
            first: dict[bytes, bytes] = {}
            for name, value in params:
                first.setdefault(name, value)
            missing = "".join(
                f"AWS query-string parameters must include '{name.decode()}'. "
                for name in _QUERY_PARAMS
                if not first.get(name)
            )
            if missing:
                raise IncompleteSignatureException(f"{missing}Re-examine the query-string parameters.")
            algorithm = _text(first[b"X-Amz-Algorithm"])
            credential = _text(first[b"X-Amz-Credential"])
            signed_headers = _text(first[b"X-Amz-SignedHeaders"])
            # Compared as bytes: a signature that is not ASCII hex mismatches either way.
            signature = first[b"X-Amz-Signature"]
            date = first[b"X-Amz-Date"]
            token = first.get(b"X-Amz-Security-Token")
            expires = first.get(b"X-Amz-Expires")
        else:
            raise MissingAuthenticationTokenException(MISSING_TOKEN)

        # The date: its form, then the clock. Cached by its bytes: a valid date is ASCII, so both
        # forms' decodings agree on it; an invalid one is reported as its form decodes it.
        dated = self._dates.get(date)
        if dated is None:
            date_text = date.decode("latin-1") if authorization else _text(date)
            dated = (_parse_basic_date(date_text), date_text)
            _remember(self._dates, date, dated)
        signed_at, date_text = dated
        lifetime = None if expires is None else _expires_seconds(expires)
        now = self._clock()
        if signed_at > now + self._skew or signed_at < now - (self._skew if lifetime is None else lifetime):
            raise InvalidSignatureException(self._clock_problem(date_text, signed_at, now, lifetime))

        # The signed headers, the algorithm, the credential and its scope.
        signed = self._signed_headers.get(signed_headers)
        if signed is None:
            signed = _parse_signed_headers(signed_headers)
            _remember(self._signed_headers, signed_headers, signed)
        if not signed.has_host:
            raise InvalidSignatureException(HOST_NOT_SIGNED)
        if algorithm != ALGORITHM:
            raise IncompleteSignatureException(
                f"Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
            )
        scope = self._scopes.get(credential)
        if scope is None:
            parts = credential.rstrip("/").split("/")
            if len(parts) != 5:
                raise IncompleteSignatureException(
                    "Credential must have exactly 5 slash-delimited elements, "
                    f"e.g. keyid/date/region/service/term, got '{credential}'"
                )
            scope = _Scope(parts)
            _remember(self._scopes, credential, scope)
        access_key, day, region, scope_service, terminator = scope.parts
        if region != self.region or scope_service != service or terminator != TERMINATOR \
                or day != date_text[:8]:
            raise InvalidSignatureException(self._scope_problems(scope.parts, service, date_text))

        # Who: the key, then the signature, then the session token.
        record = self._lookup(access_key)
        if record is None or (
            record.session_token is None and record.expires_at is not None and now >= record.expires_at
        ):
            raise UnrecognizedClientException(UNKNOWN_KEY)

        payload_hash = hashlib.sha256(body).hexdigest().encode() if body else _EMPTY_SHA256
        claimed_hash = fields.get(b"x-amz-content-sha256")
        if claimed_hash is not None and claimed_hash != payload_hash:
            raise InvalidSignatureException(MISMATCH)
        canonical_request = signed.template % (
            _METHODS.get(method) or method.upper().encode("ascii", "replace"),
            b"/" if path == "/" or path == b"/" else _canonical_path(path),
            _canonical_query(params, presigned) if params else b"",
            *_header_values(signed.names, fields, repeated),
            payload_hash,
        )
        secret = record.secret_key
        if scope.secret != secret:
            scope.states = self._hmac_states(secret, day, region, service)
            scope.secret = secret
        inner, outer = scope.states
        inner = inner.copy()
        inner.update(b"AWS4-HMAC-SHA256\n%s\n%s\n%s" % (
            date, scope.line, hashlib.sha256(canonical_request).hexdigest().encode(),
        ))
        outer = outer.copy()
        outer.update(inner.digest())
        if not hmac.compare_digest(outer.hexdigest().encode(), signature):
            raise InvalidSignatureException(MISMATCH)

        if record.session_token is None:
            if token:
                raise UnrecognizedClientException(BAD_TOKEN)
        else:
            if not token or not hmac.compare_digest(token, record.session_token.encode()):
                raise UnrecognizedClientException(BAD_TOKEN)
            if record.expires_at is not None and now >= record.expires_at:
                raise ExpiredTokenException(EXPIRED_TOKEN)

        # Frozen dataclasses are slow to build; the scope's last outcome serves its next second.
        verified = scope.verified
        if verified is None or verified.signed_at != signed_at or verified.presigned is not presigned:
            verified = scope.verified = Verified(access_key, region, service, float(signed_at), presigned)
        return verified

    def _authorization(self, raw: bytes) -> tuple[str, str, str, bytes]:
        """(algorithm, Credential, SignedHeaders, Signature) of an Authorization header.

        One client's headers differ only by their signature: what comes before a trailing
        ``Signature=<alphanumerics>`` is parsed once and cached. Anything else is parsed whole.
        """
        at = raw.rfind(b"Signature=")
        signature = raw[at + 10:]
        if signature.isalnum():
            # Only prefixes ending in a separator are cached, so a hit starts a token here.
            parsed = self._authorizations.get(raw[:at])
            if parsed is not None:
                return (*parsed, signature)
        header = raw.decode("latin-1")
        if not header.lstrip().startswith("AWS4-"):
            raise MissingAuthenticationTokenException(MISSING_TOKEN)
        algorithm, credential, signed_headers, whole_signature = _authorization_parameters(header)
        if at > 0 and signature.isalnum() and _is_separator(raw[at - 1]):
            # The trailing signature is the last token, so the earlier ones alone gave the rest.
            _remember(self._authorizations, raw[:at], (algorithm, credential, signed_headers))
        return algorithm, credential, signed_headers, whole_signature.encode("latin-1")

    # --- the parts -------------------------------------------------------------------------------

    def _clock_problem(self, date_text: str, signed_at: int, now: float, lifetime: int | None) -> str:
        second = int(now // 1)
        if signed_at > now + self._skew:
            return (
                f"Signature not yet current: {date_text} is still later than {_basic(second + self._skew)}"
                f" ({_basic(second)} + {_span(self._skew)}.)"
            )
        window = self._skew if lifetime is None else lifetime
        return (
            f"Signature expired: {date_text} is now earlier than {_basic(second - window)}"
            f" ({_basic(second)} - {_span(window)}.)"
        )

    def _scope_problems(self, scope: list[str], service: str, date_text: str) -> str:
        _, day, region, scope_service, terminator = scope
        problems = ""
        if region != self.region:
            problems += "Credential should be scoped to a valid region. "
        if scope_service != service:
            problems += f"Credential should be scoped to correct service: '{service}'. "
        if terminator != TERMINATOR:
            problems += (
                f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
            )
        if day != date_text[:8]:
            problems += (
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{day}' != '{date_text[:8]}', from '{date_text}'."
            )
        return problems

    def _hmac_states(self, secret: str, day: str, region: str, service: str) -> tuple:
        """The signing key's HMAC-SHA256 inner and outer states: a signature is then two hash copies."""
        cache_key = (secret, day, region, service)
        states = self._keys.get(cache_key)
        if states is None:
            block = signing_key(secret, day, region, service).ljust(64, b"\0")  # RFC 2104: key to a block
            states = (hashlib.sha256(block.translate(_IPAD)), hashlib.sha256(block.translate(_OPAD)))
            _remember(self._keys, cache_key, states)
        return states


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")."""
    key = hmac.digest(("AWS4" + secret).encode(), day.encode(), "sha256")
    key = hmac.digest(key, region.encode(), "sha256")
    key = hmac.digest(key, service.encode(), "sha256")
    return hmac.digest(key, b"aws4_request", "sha256")


def _remember(cache: dict, key, value) -> None:
    if len(cache) >= _CACHE_LIMIT:
        del cache[next(iter(cache))]  # the oldest: dicts keep insertion order
    cache[key] = value


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _authorization_parameters(header: str) -> tuple[str, str, str, str]:
    """(algorithm, Credential, SignedHeaders, Signature) of an Authorization header; "" if absent.

    Parameters are separated by commas and/or whitespace, as DynamoDB reads them.
    """
    tokens = header.replace(",", " ").split()
    params: dict[str, str] = {}
    for token in tokens[1:]:
        name, eq, value = token.partition("=")
        if not eq:
            raise IncompleteSignatureException(
                f"'{token}' not a valid key=value pair (missing equal-sign) in Authorization header:"
                f" '{header}'."
            )
        params[name] = value  # the last of a repeated parameter wins
    get = params.get
    return tokens[0], get("Credential", ""), get("SignedHeaders", ""), get("Signature", "")


def _is_separator(byte: int) -> bool:
    """Whether this byte of an Authorization header separates parameters (as its latin-1 text splits)."""
    return byte == 0x2C or chr(byte).isspace()


def _header_fields(
    headers: Sequence[tuple[bytes, bytes]],
) -> tuple[dict[bytes, bytes], dict[bytes, list[bytes]] | None]:
    """Each header's first value, and every value of the repeated ones (None if none repeats)."""
    fields = dict(headers)  # in C; only a repeated name makes it differ from the loop below
    if len(fields) == len(headers):
        return fields, None
    fields = {}
    repeated: dict[bytes, list[bytes]] = {}
    for name, value in headers:
        if name in fields:
            repeated.setdefault(name, [fields[name]]).append(value)
        else:
            fields[name] = value
    return fields, repeated


def _missing_in_header(header: str, credential: str, signature, signed_headers: str, date) -> str:
    missing = "".join(
        f"Authorization header requires '{name}' parameter. "
        for name, value in zip(_HEADER_PARAMS, (credential, signature, signed_headers), strict=True)
        if not value
    )
    if not date:
        missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
    return f"{missing}Authorization={header}"


def _parse_basic_date(text: str) -> int:
    match = _BASIC_DATE.match(text)
    if match is not None:
        year, month, day, hour, minute, second = map(int, match.groups())
        if 1 <= month <= 12 and 1 <= day <= _days_in_month(year, month) and hour <= 23 \
                and minute <= 59 and second <= 59:
            return timegm((year, month, day, hour, minute, second))
    raise IncompleteSignatureException(
        f"Date must be in ISO-8601 'basic format'. Got '{text}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _expires_seconds(raw: bytes) -> int:
    try:
        seconds = int(raw.decode("ascii"), 10)
    except (UnicodeDecodeError, ValueError):
        raise IncompleteSignatureException("X-Amz-Expires should be a number") from None
    if seconds < 0:
        raise IncompleteSignatureException("X-Amz-Expires must be non-negative")
    if seconds > MAX_EXPIRES_SECONDS:
        raise IncompleteSignatureException(
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be"
            " less than 604800 seconds"
        )
    return seconds


def _basic(epoch: int) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def _span(seconds: int) -> str:
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} sec"


def _parse_query(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The query's parameters, decoded, in order.

    As a form: '+' is a space. botocore sends a space in a parameter as '+' and signs it as '%20'
    (and a plus as '%2B').
    """
    params = []
    for piece in raw.split(b"&"):
        if piece:
            name, _, value = piece.partition(b"=")
            params.append((_decode(name), _decode(value)))
    return params


def _decode(text: bytes) -> bytes:
    if b"+" in text:
        text = text.replace(b"+", b" ")
    return unquote_to_bytes(text) if b"%" in text else text


def _canonical_query(params: list[tuple[bytes, bytes]], presigned: bool) -> bytes:
    encoded = sorted(
        (_encode(name), _encode(value))
        for name, value in params
        if not (presigned and name == b"X-Amz-Signature")
    )
    return b"&".join([b"%s=%s" % pair for pair in encoded])


def _encode(text: bytes) -> bytes:
    """RFC 3986 percent-encoding: all but A-Z a-z 0-9 - _ . ~, with upper-case hex."""
    if _UNRESERVED(text):
        return text
    return b"".join([_ESCAPES[byte] for byte in text])


def _canonical_path(path: str | bytes) -> bytes:
    if isinstance(path, str):
        path = path.encode("utf-8", "surrogateescape")
    if not path:
        return b"/"
    # RFC 3986 5.2.4 dot-segment removal, and empty segments dropped, as every service but S3 does.
    kept: list[bytes] = []
    for segment in path.split(b"/"):
        if segment and segment != b".":
            if segment == b"..":
                if kept:
                    kept.pop()
            else:
                kept.append(segment)
    normalized = (b"/" if path.startswith(b"/") else b"") + b"/".join(kept)
    if kept and path.endswith(b"/"):
        normalized += b"/"
    return quote_from_bytes(normalized, safe="/~").encode("ascii")


def _header_values(
    names: tuple[bytes, ...], fields: dict[bytes, bytes], repeated: dict[bytes, list[bytes]] | None
) -> list[bytes]:
    """Each signed header's value, trimmed and its inner whitespace runs collapsed (as botocore does)."""
    if repeated is None:
        return [b" ".join(fields.get(name, b"").split()) for name in names]
    return [
        b",".join([b" ".join(v.split()) for v in repeated[name]]) if name in repeated
        else b" ".join(fields.get(name, b"").split())
        for name in names
    ]


def _parse_signed_headers(text: str) -> _SignedHeaders:
    names = tuple(name.strip().lower().encode("latin-1") for name in text.split(";"))
    line = b";".join(names)
    headers = b"".join([b"%s:%%s\n" % name.replace(b"%", b"%%") for name in names])
    template = b"%%s\n%%s\n%%s\n%s\n%s\n%%s" % (headers, line.replace(b"%", b"%%"))
    return _SignedHeaders(names=names, line=line, has_host=b"host" in names, template=template)
