"""The `foreign_link` fault: an answer's `@odata.nextLink` / `@odata.deltaLink` moved to another
host (path and query kept), the rest of the answer untouched; asked over the admin API too."""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

import httpx
import pytest

USER = "ana@acme.test"
ELSEWHERE = "http://127.0.0.1:9"


def test_the_fault_moves_the_paging_links_and_keeps_the_rest(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    for i in range(3):
        sb.import_message(USER, {"subject": f"s{i}", "body": {"contentType": "text", "content": "x"}})
    client = graph_client(USER)
    headers = {"Prefer": 'IdType="ImmutableId", odata.maxpagesize=2'}
    plain = client.get("/me/mailFolders/inbox/messages/delta", headers=headers).json()
    rule = sb.add_fault(r"/messages/delta", kind="foreign_link", link_base=ELSEWHERE)
    moved = client.get("/me/mailFolders/inbox/messages/delta", headers=headers).json()
    link, original = urlsplit(moved["@odata.nextLink"]), urlsplit(plain["@odata.nextLink"])
    assert (link.scheme, link.netloc) == ("http", "127.0.0.1:9")
    assert link.path == original.path and link.query.startswith("$skiptoken=")  # a token per answer
    assert moved["value"] == plain["value"]
    assert rule["link_base"] == ELSEWHERE and sb.requests(path="delta")[-1]["fault"] == "foreign_link"
    assert "127.0.0.1:9" not in client.get("/me/mailFolders/inbox/messages/delta", headers=headers).text  # once


def test_the_fault_needs_a_link_base_and_is_offered_over_the_admin_api(microsoft_sandbox):
    with pytest.raises(ValueError):
        microsoft_sandbox.add_fault(r"/delta", kind="foreign_link")
    trusted = ssl.create_default_context(cafile=str(microsoft_sandbox.ca_path))
    answer = httpx.post(microsoft_sandbox.base_url + "/_sandbox/faults", verify=trusted,
                        json={"path": "/delta", "kind": "foreign_link", "link_base": ELSEWHERE})
    assert answer.status_code == 200 and answer.json()["link_base"] == ELSEWHERE
