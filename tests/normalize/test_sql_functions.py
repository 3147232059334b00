"""The SQL helper functions (dbt_project/macros/sql_functions/, one file each), called on the real
PostgreSQL after the on-run-start hook created them, with the inputs that break naive decoders:
each must return the documented value and never raise, because one error aborts a whole model."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from tests.normalize.helpers import dbt

S = "integrations_staging"
FUNCTIONS = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "sql_functions"


@pytest.fixture(scope="module")
def pg(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_fn")
    # any selection runs the on-run-start hook, which creates every function
    dbt(url, tmp_path_factory.mktemp("runs"), command="run", select="stg_google__gmail_labels")
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def call(pg, sql: str, *params):
    return pg.execute(f"select {sql}", params).fetchone()[0]


@pytest.mark.parametrize(("value", "type_name", "expected"), [
    ("2024-02-29", "date", True),
    ("2024-02-30", "date", False),            # a day that does not exist
    ("2024-01-15T10:00:00+01:00", "timestamptz", True),
    ("2024-13-01T10:00:00Z", "timestamptz", False),
    ("12abc", "integer", False),
    (None, "date", None),
])
def test_input_is_valid_tells_whether_a_cast_would_succeed(pg, value, type_name, expected):
    assert call(pg, f"{S}.input_is_valid(%s, %s)", value, type_name) is expected


def test_input_is_valid_postgres_15_fallback_behaves_the_same(pg):
    """PostgreSQL 15 has no pg_input_is_valid: the macro then creates a plpgsql function that casts
    inside an exception block. Create that variant (from the macro's own source) next to the real
    one and compare them, whatever version this server is."""
    source = (FUNCTIONS / "input_is_valid.sql").read_text()
    fallback = re.search(r"else\s+execute \$f\$(.*?)\$f\$;", source, re.S).group(1)
    pg.execute("create schema if not exists fn_pg15")
    pg.execute(fallback.replace("{{ schema }}", "fn_pg15"))
    for value, type_name in [("2024-02-29", "date"), ("2024-02-30", "date"), ("x", "timestamptz"),
                             ("2024-01-15 10:00+01", "timestamptz"), (None, "date"), ("1e3", "numeric")]:
        assert (call(pg, "fn_pg15.input_is_valid(%s, %s)", value, type_name)
                is call(pg, f"{S}.input_is_valid(%s, %s)", value, type_name)), (value, type_name)


@pytest.mark.parametrize(("data", "valid", "decoded"), [
    ("SGk", True, b"Hi"),                     # unpadded
    ("SGk=", True, b"Hi"),                    # padded
    ("-_8", True, b"\xfb\xff"),               # the url-safe alphabet
    ("+/8=", True, b"\xfb\xff"),              # the standard alphabet
    ("", True, b""),
    ("S", False, None),                       # one char past a group of four: no byte
    ("SG=k", False, None),                    # padding in the middle
    ("@@not base64@@", False, None),
    (None, False, None),
])
def test_base64url_is_valid_and_decode(pg, data, valid, decoded):
    assert call(pg, f"{S}.base64url_is_valid(%s)", data) is valid
    assert call(pg, f"{S}.base64url_decode(%s)", data) == decoded


@pytest.mark.parametrize(("charset", "encoding"), [
    ('"ISO-8859-1"', "LATIN1"), (" UTF-8 ", "UTF8"), ("us-ascii", "UTF8"), (None, "UTF8"), ("", "UTF8"),
    ("Windows-1252", "WIN1252"), ("Shift_JIS", "SJIS"), ("x-unknown", None),
])
def test_pg_encoding_for_maps_mime_charsets(pg, charset, encoding):
    assert call(pg, f"{S}.pg_encoding_for(%s)", charset) == encoding


@pytest.mark.parametrize(("data", "charset", "text"), [
    ("é".encode("latin-1"), "iso-8859-1", "é"),
    ("Привет".encode("koi8-r"), "koi8-r", "Привет"),
    ("こんにちは".encode("shift_jis"), "shift_jis", "こんにちは"),
    ("日本語 and ASCII".encode("iso2022_jp"), "ISO-2022-JP", "日本語 and ASCII"),
    ("café".encode(), "x-made-up", "café"),        # an unknown charset is read as UTF-8
    (b"A\xffB", "utf-8", "A\ufffdB"),               # a bad byte becomes U+FFFD, the rest is kept
    ("ok".encode(), None, "ok"),
    (None, "utf-8", None),
])
def test_decode_text_never_raises(pg, data, charset, text):
    assert call(pg, f"{S}.decode_text(%s, %s)", data, charset) == text


def test_iso2022jp_to_eucjp_leaves_bytes_without_escapes_alone(pg):
    assert call(pg, f"{S}.iso2022jp_to_eucjp(%s)", b"plain") == b"plain"
    assert (call(pg, f"{S}.iso2022jp_to_eucjp(%s)", "日本".encode("iso2022_jp"))
            == "日本".encode("euc_jp"))


@pytest.mark.parametrize(("data", "decoded"), [
    ("Caf=C3=A9_bar", "Café bar".encode()),
    ("a=3Db", b"a=b"),
    ("100=", b"100="),                        # a lone "=" is kept
    ("=ZZ", b"=ZZ"),                          # not a hex pair: kept as written
])
def test_q_decode(pg, data, decoded):
    assert call(pg, f"{S}.q_decode(%s)", data) == decoded


@pytest.mark.parametrize(("value", "text"), [
    ("=?UTF-8?Q?Caf=C3=A9?= =?UTF-8?B?IGJhcg==?=", "Café bar"),   # space between words dropped
    ("Re: =?iso-8859-1?q?p=F6stal?= news", "Re: pöstal news"),       # lower-case q, text around
    ("=?UTF-8*en?B?SGk=?=", "Hi"),                                   # RFC 2231 language suffix
    ("=?UTF-8?B?@@@?=", "=?UTF-8?B?@@@?="),                          # undecodable: left as written
    ("plain subject", "plain subject"),
    (None, None),
])
def test_rfc2047_decode(pg, value, text):
    assert call(pg, f"{S}.rfc2047_decode(%s)", value) == text


@pytest.mark.parametrize(("value", "addresses"), [
    ('"Doe, Jane" <jane@x.com>, bob@y.com',
     [("jane@x.com", "Doe, Jane"), ("bob@y.com", "")]),
    ('Team: a@x.com, "B \\"Q\\" C" <b@x.com>;, c@y.com',               # a group, escaped quotes
     [("a@x.com", ""), ("b@x.com", 'B "Q" C'), ("c@y.com", "")]),
    ("Ann (work) <ann@x.com>", [("ann@x.com", "Ann")]),                   # a comment
    ("=?UTF-8?Q?Ren=C3=A9?= <rene@x.com>", [("rene@x.com", "René")]),    # an encoded display name
    ("Ann\r\n <ann@x.com>", [("ann@x.com", "Ann")]),                      # a folded line
    (" , ,", []),
    (None, []),
])
def test_parse_address_list(pg, value, addresses):
    parsed = call(pg, f"{S}.parse_address_list(%s)", value)
    assert [(a["address"], a["display_name"]) for a in parsed] == addresses
    assert [a["ord"] for a in parsed] == list(range(1, len(addresses) + 1))


@pytest.mark.parametrize(("html", "text"), [
    ("<p>Hi&nbsp;<b>there</b></p><ul><li>one</li><li>two</li></ul>", "Hi there\n\n- one\n- two"),  # noqa: E501 - </p> and <ul> each end a block
    ("<html><head><title>T</title><style>p{}</style></head><body>x<script>alert(1)</script>y</body>",
     "xy"),
    ("a<br>b<!-- hidden -->", "a\nb"),
    ("&lt;tag&gt; &amp;amp; &#233; &#x1F600; &#xD800; &#0;", "<tag> &amp; é \U0001F600 \ufffd \ufffd"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", "a b"),
    (None, None),
])
def test_html_to_text(pg, html, text):
    assert call(pg, f"{S}.html_to_text(%s)", html) == text


@pytest.mark.parametrize(("value", "phones"), [
    ("Call +1 (555) 010-9999 or 555.010.9999", ["+15550109999", "5550109999"]),
    ("+1 555 010 9999 / +1-555-010-9999", ["+15550109999"]),   # the same number once
    ("order 12345, year 2024", []),                               # too short
    ("1234567890123456789", []),                                  # too long
    (None, []),
])
def test_extract_phones(pg, value, phones):
    assert call(pg, f"{S}.extract_phones(%s)", value) == phones
