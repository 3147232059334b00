"""Clients for the QuickBooks sandbox tests: plain httpx with a bearer token of the default realm
(what the provider will send), and helpers for the two read endpoints."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def realm(quickbooks_sandbox) -> str:
    return quickbooks_sandbox.DEFAULT_REALM


@pytest.fixture
def tokens(quickbooks_sandbox, realm) -> dict:
    """A token answer for the default realm (consent skipped)."""
    return quickbooks_sandbox.issue_tokens(realm)


@pytest.fixture
def api(quickbooks_sandbox, realm, tokens):
    """httpx with the default realm's access token; ``base_url`` = ``{sandbox}/v3/company/{realm}``."""
    with httpx.Client(base_url=f"{quickbooks_sandbox.base_url}/v3/company/{realm}",
                      headers={"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"},
                      timeout=10) as client:
        yield client


@pytest.fixture
def query(api):
    """``query(text)`` -> the parsed ``QueryResponse`` of a 200 answer (a failing answer fails the test)."""

    def run(text: str) -> dict:
        answer = api.get("/query", params={"query": text, "minorversion": "75"})
        assert answer.status_code == 200, answer.text
        return answer.json()["QueryResponse"]

    return run


@pytest.fixture
def cdc(api):
    def run(changed_since: str, entities: str = "Customer,Invoice,Payment") -> httpx.Response:
        return api.get("/cdc", params={"entities": entities, "changedSince": changed_since, "minorversion": "75"})

    return run
