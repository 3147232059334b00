"""`return_to` must match an allowed entry's scheme, host AND port (then its path): the CRM's own
host on another scheme or port is another origin -- a page served over plain http, or another
service on the same machine -- and a connect flow must never send a browser there."""

from __future__ import annotations

import pytest

from worker.http.return_urls import allowed, parse_allowed

CRM = parse_allowed("https://crm.example.com/connected, http://127.0.0.1:5000/integrations")


@pytest.mark.parametrize("return_to", [
    "https://crm.example.com/connected",
    "https://crm.example.com:443/connected/done",  # the default port, spelled out
    "https://CRM.example.com/connected",  # host names are case-insensitive
    "http://127.0.0.1:5000/integrations?connection=1",
])
def test_the_crms_own_origin_is_allowed(return_to):
    assert allowed(return_to, CRM)


@pytest.mark.parametrize("return_to", [
    "http://crm.example.com/connected",  # the CRM's host over plain http
    "http://crm.example.com:443/connected",  # plain http on the https port
    "https://crm.example.com:8443/connected",  # the CRM's host, another port
    "https://crm.example.com:80/connected",
    "http://127.0.0.1:5001/integrations",  # the same machine, another service
    "http://127.0.0.1/integrations",  # port 80, not 5000
    "https://127.0.0.1:5000/integrations",  # the right port, another scheme
])
def test_the_crms_host_on_another_scheme_or_port_is_refused(return_to):
    assert not allowed(return_to, CRM)
