"""`return_to` against the allow-list (worker/http/return_urls.py), without a server: a URL that
lies at or below an allowed path only as written, not once a browser resolves its dot segments, is
refused (Chromium turns `/connected/../admin` and its percent-encoded forms into `/admin`)."""

from __future__ import annotations

import pytest

from worker.http.return_urls import allowed

ENTRIES = ("https://crm.example.com/connected",)


@pytest.mark.parametrize("url", [
    "https://crm.example.com/connected",
    "https://crm.example.com/connected/",
    "https://crm.example.com/connected/settings?tab=mail",
    "https://crm.example.com/connected/v1.2/x..y",
])
def test_urls_at_or_below_the_allowed_path_are_allowed(url):
    assert allowed(url, ENTRIES)


@pytest.mark.parametrize("url", [
    "https://crm.example.com/connected/../admin",
    "https://crm.example.com/connected/./../admin",
    "https://crm.example.com/connected/%2e%2e/admin",
    "https://crm.example.com/connected/.%2E/admin",
    "https://crm.example.com/connected/%2E./admin",
    "https://crm.example.com/connected/%2e%2E",
    "https://crm.example.com/connected/..",
    "https://crm.example.com/connected/..?x=1",
    "https://crm.example.com/connected/%252e%252e/admin",
    "https://crm.example.com/connected/%2e/../admin",
])
def test_dot_segments_encoded_or_not_are_refused(url):
    assert not allowed(url, ENTRIES)
