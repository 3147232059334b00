"""Phone numbers in E.164 in SQL (`to_e164(value, region)`, dbt_project/macros/sql_functions/to_e164.sql):
it must say what libphonenumber says (parse in the default region, then format E.164 when the number
is possible) for every region's numbers written every usual way, and for arbitrary input; its table
is generated from the pinned `phonenumbers`; the default region comes from
INTEGRATIONS_DEFAULT_PHONE_REGION through the dbt var; product.emails.signature_phones uses it."""

from __future__ import annotations

import uuid

import phonenumbers
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from scripts.generate_phone_metadata import TARGET, render
from tests.normalize.helpers import create_connection, dbt, make_message, query, stage_gmail
from worker.db.connect import connect
from worker.errors import BadInput
from worker.settings import get_settings, load_settings

S = "integrations_staging"
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


@pytest.fixture(scope="module")
def pg(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_e164")
    # any selection runs the on-run-start hook, which creates the table and the functions
    dbt(url, tmp_path_factory.mktemp("runs"), command="run", select="stg_twilio__messages")
    with psycopg.connect(url, autocommit=True) as conn:
        yield conn


def to_e164(pg, value, region):
    return pg.execute(f"select {S}.to_e164(%s, %s)", (value, region)).fetchone()[0]


def libphonenumber(value: str, region: str) -> str | None:
    """The reference: parse in the region, E.164 when possible (local-only lengths are not), and
    E.164's limit of 15 digits (libphonenumber formats longer German numbers too)."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    formatted = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    return formatted if len(formatted) <= 16 else None


def test_the_committed_metadata_is_what_the_generator_writes_from_the_pinned_library():
    assert TARGET.read_text() == render(), "stale: run scripts/generate_phone_metadata.py"


def test_every_pattern_of_the_metadata_is_a_postgresql_regular_expression(pg):
    """to_e164 never raises on its input; only a pattern PostgreSQL cannot compile could make it."""
    rows = pg.execute(f"select region, calling_code, international_prefix, national_prefix_for_parsing,"
                      f" national_number_pattern from {S}.phone_metadata").fetchall()
    assert len(rows) == len(REGIONS) + len(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS)
    refused = []
    for region, code, *patterns in rows:
        for pattern in filter(None, patterns):
            try:
                pg.execute("select '' ~ %s", (pattern,))
            except psycopg.errors.InvalidRegularExpression as error:
                refused.append((region, code, pattern, str(error)))
    assert refused == []


def example_numbers():
    """Every region's example numbers (fixed line, mobile, toll free, VoIP), written nationally,
    internationally, in E.164, dialled from eight other regions, and as bare digits."""
    for region in REGIONS:
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
                     PhoneNumberType.VOIP):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for style in (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164):
                yield phonenumbers.format_number(number, style), region
            for home in ("US", "GB", "DE", "BR", "AR", "JP", "AU", "CN", region):
                yield phonenumbers.format_out_of_country_calling_number(number, home), home
            digits = phonenumbers.national_significant_number(number)
            yield digits, region
            yield str(number.country_code) + digits, region


def test_to_e164_says_what_libphonenumber_says_for_every_regions_numbers(pg):
    cases = list(example_numbers())
    assert len(cases) > 5000
    made = [to_e164(pg, value, region) for value, region in cases]
    mismatches = [(value, region, got, libphonenumber(value, region))
                  for (value, region), got in zip(cases, made) if got != libphonenumber(value, region)]
    assert mismatches == []
    assert sum(m is not None for m in made) > 0.9 * len(cases)


written = st.builds(
    lambda prefix, groups, separator: prefix + separator.join(groups),
    st.sampled_from(["", "+", "00", "011", "0", "+0", "8", "1", "+1", "+44", "tel:+", "0011"]),
    st.lists(st.text("0123456789", min_size=1, max_size=5), min_size=1, max_size=5),
    st.sampled_from(["", " ", "-", ".", ") "]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=written, region=st.sampled_from(REGIONS + ["US"] * 20 + ["GB"] * 10))
def test_to_e164_says_what_libphonenumber_says_for_any_digits(pg, value, region):
    assert to_e164(pg, value, region) == libphonenumber(value, region)


@pytest.mark.parametrize(("value", "region", "e164"), [
    ("+1 (415) 555-0100", "US", "+14155550100"),
    ("(415) 555-0100", "US", "+14155550100"),
    ("1 415 555 0100", "US", "+14155550100"),              # the national prefix 1
    ("011 44 20 7946 0958", "US", "+442079460958"),        # dialled from the US
    ("020 7946 0958", "GB", "+442079460958"),              # the national prefix 0
    ("0044 20 7946 0958", "DE", "+442079460958"),
    ("0151 23456789", "DE", "+4915123456789"),
    ("011 15-2345-6789", "AR", "+5491123456789"),          # Argentina's mobile transform rule
    ("tel:+1-415-555-0100", "US", "+14155550100"),
    ("+1 415 555 0100 ext. 12", "US", "+14155550100"),     # the extension is dropped
    ("555 0100", "US", None),                              # dialable only inside its area code
    ("89898", "US", None),                                 # a short code
    ("ACME", "US", None),                                  # a sender id
    ("+999 1234 5678", "US", None),                        # no such calling code
    ("+49 30 1234567890123", "DE", None),                  # 17 digits: more than E.164 allows
    ("4155550100", "XX", None),                            # a national number in no known region
    ("+14155550100", "XX", "+14155550100"),
    ("", "US", None),
    (None, "US", None),
])
def test_documented_cases(pg, value, region, e164):
    assert to_e164(pg, value, region) == e164


def test_the_default_region_setting_is_a_two_letter_code():
    assert load_settings(default_phone_region="gb").default_phone_region == "GB"
    assert load_settings().default_phone_region == "US"
    with pytest.raises(BadInput, match="INTEGRATIONS_DEFAULT_PHONE_REGION"):
        load_settings(default_phone_region="GBR")


def test_an_unknown_default_region_fails_the_run_naming_the_setting(make_database, tmp_path, monkeypatch):
    url = make_database.create(prefix="nz_e164_region")
    monkeypatch.setenv("INTEGRATIONS_DEFAULT_PHONE_REGION", "XX")
    get_settings.cache_clear()
    try:
        output = dbt(url, tmp_path, command="run", select="stg_twilio__messages", expect_ok=False)
    finally:
        get_settings.cache_clear()
    assert "INTEGRATIONS_DEFAULT_PHONE_REGION (dbt var default_phone_region): unknown region XX" in output


SIGNATURE = "Thanks!\n\n-- \nAnn Lee\nTel 020 7946 0958 / +1 (415) 555-0100 / 555 0100\n"


@pytest.mark.parametrize(("region", "phones"), [
    ("GB", ["+442079460958", "+14155550100", "+445550100"]),
    # in the US the London number has no calling code and is too long, 555 0100 is local only
    ("US", ["+14155550100"]),
])
def test_signature_phones_are_e164_in_the_default_region(make_database, tmp_path, monkeypatch, region, phones):
    url = make_database.create(prefix="nz_e164_sig")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        mailbox = create_connection(conn, tenant, "me@acme.com")
        stage_gmail(conn, mailbox, tenant, {"sig": make_message(body=SIGNATURE, message_id="<sig@example.com>")})
        conn.commit()
    monkeypatch.setenv("INTEGRATIONS_DEFAULT_PHONE_REGION", region.lower())
    get_settings.cache_clear()
    try:
        dbt(url, tmp_path)
    finally:
        get_settings.cache_clear()

    [email] = query(url, "select signature_phones from product.emails where message_id_header = '<sig@example.com>'")
    assert email["signature_phones"] == phones
    assert phones == [p for p in (libphonenumber(v, region) for v in ("02079460958", "+14155550100", "5550100")) if p]


def test_a_number_not_in_e164_is_a_recorded_data_test_warning(make_database, tmp_path):
    """The `is_e164` invariant can fail: a product number written another way (here by hand) is
    recorded in normalize_test_results as a warning with its count."""
    from tests.normalize_twilio.twilio_payloads import create_twilio_connection, sms, stage_sms

    url = make_database.create(prefix="nz_e164_inv")
    tenant = uuid.uuid4()
    with connect(url) as conn:
        account = create_twilio_connection(conn, tenant)
        stage_sms(conn, account, tenant, [sms("SM" + "1" * 32)])
        conn.commit()
    dbt(url, tmp_path)  # clean data: WARN=0
    with connect(url) as conn:
        conn.execute("update product.text_messages set from_number = '(415) 555-0100'")
        conn.commit()

    output = dbt(url, tmp_path, command="test", select="text_messages", expect_ok=False)

    assert "WARN=1" in output, output[-3000:]
    results = query(url, "select test_name, status, failures from integrations_staging.normalize_test_results"
                         " where test_name like 'is_e164_text_messages_%%'")
    assert sorted((r["test_name"], r["status"], r["failures"]) for r in results) == [
        ("is_e164_text_messages_from_number", "warn", 1), ("is_e164_text_messages_to_number", "pass", 0)]
