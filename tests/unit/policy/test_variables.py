"""Policy variables: substitution, defaults, escapes, and the glob patterns built from them.

The rules are the IAM User Guide's, "IAM policy elements: Variables and tags"; where AWS is silent
(malformed variables, wildcards inside values) the test says what moatdb does.
"""

from __future__ import annotations

import pytest

from moatdb.policy.variables import compile_template

USER = {"aws:username": ("alice",)}


def render(
    text: str, context: dict[str, tuple[str, ...]] | None = None, *, variables: bool = True
) -> str | None:
    return compile_template(text, variables=variables).render(context or {})


def globs(text: str, value: str, context: dict[str, tuple[str, ...]] | None = None) -> bool:
    pattern = compile_template(text, variables=True).pattern(context or {})
    assert pattern is not None
    return pattern.fullmatch(value) is not None


# "Variables and tags": ${key} is replaced by the request's value; key names are case-insensitive;
# a key that is missing or multivalued has no value, so the element does not match.
@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        pytest.param(
            "home/${aws:username}/", USER, "home/alice/", id="a variable is replaced by its key's value"
        ),
        pytest.param(
            "${AWS:UserName}", USER, "alice", id="a variable's key name is matched without regard to case"
        ),
        pytest.param(
            "${aws:PrincipalTag/Team}",
            {"aws:principaltag/team": ("blue",)},
            "blue",
            id="a tag key in a variable is looked up lower-cased",
        ),
        pytest.param(
            "${aws:PrincipalTag/cost center}",
            {"aws:principaltag/cost center": ("42",)},
            "42",
            id="a tag key may contain spaces",
        ),
        pytest.param(
            "${aws:username}-${aws:userid}",
            {**USER, "aws:userid": ("AIDA1",)},
            "alice-AIDA1",
            id="several variables in one text are all replaced",
        ),
        pytest.param("${aws:username}", {}, None, id="a variable whose key is missing has no value"),
        pytest.param(
            "${aws:username}",
            {"aws:username": ()},
            None,
            id="a variable whose key has no values has no value",
        ),
        pytest.param(
            "${aws:CalledVia}",
            {"aws:calledvia": ("a", "b")},
            None,
            id="a variable cannot stand for a multivalued key",
        ),
        pytest.param(
            "arn:aws:s3:::bucket", {}, "arn:aws:s3:::bucket", id="a text without variables renders as itself"
        ),
        pytest.param("cost $5", {}, "cost $5", id="a dollar sign not followed by a brace is text"),
    ],
)
def test_substitution(text, context, expected):
    assert render(text, context) == expected


# "Variables and tags", "Specifying default values": ${key, 'default'} when the key has no value.
# AWS writes "a comma and space"; moatdb also accepts other whitespace around the parts.
@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        pytest.param(
            "${aws:username, 'guest'}", {}, "guest", id="the default is used when the key is missing"
        ),
        pytest.param(
            "${aws:username, 'guest'}", USER, "alice", id="the default is not used when the key has a value"
        ),
        pytest.param(
            "${aws:CalledVia, 'none'}",
            {"aws:calledvia": ("a", "b")},
            "none",
            id="the default is used when the key is multivalued",
        ),
        pytest.param(
            "${aws:username, 'Guest User'}", {}, "Guest User", id="the default keeps its case and spaces"
        ),
        pytest.param("${aws:username, ''}", {}, "", id="the default may be empty"),
        pytest.param(
            "${aws:username,'guest'}", {}, "guest", id="the default may follow the comma without a space"
        ),
        pytest.param(
            "${ aws:username , 'guest' }",
            {},
            "guest",
            id="whitespace around the key, the comma and the default is ignored",
        ),
        pytest.param(
            "bucket-${aws:PrincipalTag/team, 'company-wide'}/x",
            {},
            "bucket-company-wide/x",
            id="a defaulted variable may sit inside other text",
        ),
    ],
)
def test_default_values(text, context, expected):
    assert render(text, context) == expected


# "Variables and tags", "Special characters": ${*}, ${?} and ${$} are the literal characters.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a${*}b", "a*b", id="an escaped asterisk renders as an asterisk"),
        pytest.param("a${?}b", "a?b", id="an escaped question mark renders as a question mark"),
        pytest.param("${$}{aws:username}", "${aws:username}", id="an escaped dollar sign starts no variable"),
    ],
)
def test_escapes_render_as_their_character(text, expected):
    assert render(text, USER) == expected


# Where AWS is silent: what is not a well-formed variable stays literal text.
@pytest.mark.parametrize(
    "text",
    [
        pytest.param("home/${aws:username", id="an unclosed variable is literal text"),
        pytest.param("a${}b", id="an empty variable is literal text"),
        pytest.param("a${ }b", id="a blank variable is literal text"),
        pytest.param("${aws:username, guest}", id="a variable with an unquoted default is literal text"),
    ],
)
def test_malformed_variables_are_literal_text(text):
    template = compile_template(text, variables=True)
    assert template.render({}) == text
    assert template.keys == frozenset()


# "Variables and tags": "If you don't include the Version element and set it to an appropriate
# version date, variables like ${aws:username} are treated as literal strings in the policy."
def test_variables_are_literal_text_before_version_2012_10_17():
    template = compile_template("home/${aws:username}/${*}", variables=False)
    assert template.keys == frozenset()
    assert template.render(USER) == "home/${aws:username}/${*}"


def test_wildcards_in_literal_variable_text_stay_wildcards_before_version_2012_10_17():
    pattern = compile_template("${*}", variables=False).pattern({})
    assert pattern is not None and pattern.fullmatch("${anything}")


# The glob used for StringLike and Resource: "*" any run of characters, "?" exactly one.
@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        pytest.param(
            "arn:aws:s3:::b/*",
            "arn:aws:s3:::b/x/y:z",
            True,
            id="an asterisk matches any run of characters including slashes and colons",
        ),
        pytest.param("a*", "a", True, id="an asterisk matches the empty run"),
        pytest.param("a?c", "abc", True, id="a question mark matches one character"),
        pytest.param("a?c", "ac", False, id="a question mark does not match zero characters"),
        pytest.param("a?c", "abbc", False, id="a question mark does not match two characters"),
        pytest.param("a.c", "abc", False, id="a dot is no wildcard"),
        pytest.param("a*", "A", False, id="globbing is case-sensitive"),
        pytest.param("line*", "line1\nline2", True, id="an asterisk matches across a newline"),
        pytest.param("a${*}", "a*", True, id="an escaped asterisk matches an asterisk"),
        pytest.param("a${*}", "ab", False, id="an escaped asterisk is no wildcard"),
        pytest.param("a${?}", "ab", False, id="an escaped question mark is no wildcard"),
    ],
)
def test_glob_patterns(text, value, expected):
    assert globs(text, value) is expected


# AWS is silent on wildcards inside values; moatdb treats a resolved value or default as literal.
@pytest.mark.parametrize(
    ("text", "context", "value", "expected"),
    [
        pytest.param(
            "home/${aws:username}/*", USER, "home/alice/notes", True, id="a variable is globbed around"
        ),
        pytest.param(
            "home/${aws:username}/*", USER, "home/bob/notes", False, id="another user's home does not match"
        ),
        pytest.param(
            "${aws:username}",
            {"aws:username": ("a.b",)},
            "axb",
            False,
            id="a regular expression character in a value is literal",
        ),
        pytest.param(
            "${aws:username}",
            {"aws:username": ("*",)},
            "anything",
            False,
            id="an asterisk in a value is no wildcard",
        ),
        pytest.param(
            "${aws:username, '*'}", {}, "anything", False, id="an asterisk in a default is no wildcard"
        ),
        pytest.param(
            "${aws:username, '*'}", {}, "*", True, id="an asterisk in a default matches an asterisk"
        ),
    ],
)
def test_values_are_literal_in_patterns(text, context, value, expected):
    assert globs(text, value, context) is expected


def test_a_pattern_with_an_unresolved_variable_is_none():
    assert compile_template("home/${aws:username}/*", variables=True).pattern({}) is None


def test_a_pattern_is_compiled_once_per_resolved_value():
    template = compile_template("home/${aws:username}/*", variables=True)
    first = template.pattern(USER)
    assert template.pattern({"aws:username": ("alice",)}) is first
    assert template.pattern({"aws:username": ("bob",)}) is not first


def test_a_constant_template_reuses_its_pattern():
    template = compile_template("arn:aws:s3:::b/*", variables=True)
    assert template.pattern({}) is template.pattern(USER)


# IAM User Guide, "Condition operators", ARN condition operators: "Each of the six colon-delimited
# components of the ARN is checked separately".
@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        pytest.param(
            "arn:aws:iam::*:role/app",
            "arn:aws:iam::111122223333:role/app",
            True,
            id="an asterisk matches within the account part",
        ),
        pytest.param(
            "arn:aws:someservice:*:111122223333:finance/*",
            "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt",
            False,
            id="an asterisk before the resource part does not cross a colon",
        ),
        pytest.param(
            "arn:aws:lambda:*:*:function:*",
            "arn:aws:lambda:us-east-1:1:function:f:live",
            True,
            id="an asterisk in the resource part crosses colons",
        ),
        pytest.param(
            "arn:aws:iam::?:root",
            "arn:aws:iam::12:root",
            False,
            id="a question mark before the resource part matches one character",
        ),
        pytest.param(
            "arn:aws:iam::${aws:PrincipalAccount}:role/*",
            "arn:aws:iam::1:role/a",
            True,
            id="a variable's value takes part in the part-wise match",
        ),
    ],
)
def test_arn_patterns(text, value, expected):
    pattern = compile_template(text, variables=True).arn_pattern({"aws:principalaccount": ("1",)})
    assert pattern is not None
    assert (pattern.fullmatch(value) is not None) is expected


def test_keys_are_the_lower_cased_keys_the_template_reads():
    template = compile_template("${aws:UserName}/${aws:PrincipalTag/Team, 'x'}/${*}", variables=True)
    assert template.keys == frozenset({"aws:username", "aws:principaltag/team"})
