"""Who may call an account: DESIGN.md's "the sandbox accepts any API key for a Twilio account it
has" -- an unknown key is remembered with its first secret -- and everything else is 401 20003."""

from __future__ import annotations

import httpx
import pytest

UNKNOWN_KEY = "SK" + "ab" * 16


def fetch_account(sb, account_sid: str, user: str | None, secret: str | None) -> httpx.Response:
    auth = (user, secret) if user is not None else None
    return httpx.get(f"{sb.base_url}/2010-04-01/Accounts/{account_sid}.json", auth=auth, timeout=10)


def assert_20003(answer: httpx.Response) -> None:
    assert answer.status_code == 401
    assert answer.json() == {"code": 20003, "message": "Authenticate",
                             "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401,
                             "detail": "Your AccountSid or AuthToken was incorrect."}
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_a_created_key_authenticates_only_with_its_secret(twilio_sandbox, twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    assert fetch_account(sb, account, twilio_account["key_sid"], twilio_account["key_secret"]).status_code == 200
    assert_20003(fetch_account(sb, account, twilio_account["key_sid"], "wrong"))


def test_an_unknown_key_is_accepted_for_a_known_account_and_remembered_with_its_first_secret(twilio_sandbox,
                                                                                          twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    assert fetch_account(sb, account, UNKNOWN_KEY, "first-secret").status_code == 200
    assert fetch_account(sb, account, UNKNOWN_KEY, "first-secret").status_code == 200
    assert_20003(fetch_account(sb, account, UNKNOWN_KEY, "another-secret"))
    other = sb.add_account()
    assert_20003(fetch_account(sb, other, UNKNOWN_KEY, "first-secret"))  # the key now belongs to `account`


def test_unknown_account_revoked_key_and_another_accounts_key_are_refused(twilio_sandbox, twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    key, secret = twilio_account["key_sid"], twilio_account["key_secret"]
    assert_20003(fetch_account(sb, "AC" + "0" * 32, key, secret))
    assert_20003(fetch_account(sb, "AC" + "0" * 32, UNKNOWN_KEY, "s"))  # not even an unknown key
    other = sb.add_account()
    assert_20003(fetch_account(sb, other, key, secret))
    sb.revoke_api_key(account, key)
    assert_20003(fetch_account(sb, account, key, secret))
    assert sb.requests(status=401)[-1]["path"] == f"/2010-04-01/Accounts/{account}.json"


def test_the_account_sid_and_auth_token_authenticate_too(twilio_sandbox, twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    token = sb.account(account)["auth_token"]
    assert fetch_account(sb, account, account, token).status_code == 200
    assert_20003(fetch_account(sb, account, account, "not-the-token"))


@pytest.mark.parametrize(("user", "secret"), [(None, None), ("", "secret"), ("US" + "1" * 32, "secret")])
def test_missing_or_foreign_credentials_are_refused(twilio_sandbox, twilio_account, user, secret):
    assert_20003(fetch_account(twilio_sandbox, twilio_account["account_sid"], user, secret))


def test_a_refused_request_reaches_no_data_and_spends_no_rate(twilio_sandbox, twilio_account):
    sb, account = twilio_sandbox, twilio_account["account_sid"]
    sb.set_rate(requests_per_second=1 / 60, window_seconds=60)  # one request a minute
    answer = httpx.get(f"{sb.base_url}/2010-04-01/Accounts/{account}/Messages.json", auth=(UNKNOWN_KEY, ""))
    assert_20003(answer)  # an unknown key needs a secret to be remembered with
    assert fetch_account(sb, account, twilio_account["key_sid"], twilio_account["key_secret"]).status_code == 200
