"""The small pure parts behind metrics and logs: label values that look like data are redacted,
dbt's reported row counts are summed, secret-bearing parameters are masked in log lines."""

from __future__ import annotations

import json

import pytest

from worker.normalize.runner import rows_affected
from worker.observe.labels import REDACTED, safe
from worker.observe.logs import scrub


# fixed values: pytest-xdist's workers must collect the same ids (uuid4() here differed per worker)
@pytest.mark.parametrize("value", ["ana@example.com", "7dd06481-08ef-44e6-8d90-cd3c9edee4fe",
                                   "9abc471fa9b8400380015dd78bb3eb33", "+14155550100",
                                   "AC" + "0123456789abcdef" * 2, "9130354567890", "x" * 65, "a b", "<script>"])
def test_label_values_that_look_like_data_are_redacted(value):
    assert safe(value) == REDACTED


@pytest.mark.parametrize("value", ["google", "sync_inbox_live", "429", "error", "slack:conversations.history",
                                   "RateLimited", "gmail.message", "needs_reauth", "default"])
def test_names_the_code_owns_are_kept(value):
    assert safe(value) == value


def test_rows_changed_are_what_dbt_reported(tmp_path):
    results = [{"adapter_response": {"rows_affected": 3}}, {"adapter_response": {"rows_affected": -1}},
               {"adapter_response": {}}, {"adapter_response": {"rows_affected": 4}}]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert rows_affected(tmp_path) == 7
    assert rows_affected(tmp_path / "missing") is None


def test_secret_parameters_and_headers_are_masked_in_log_lines():
    line = ("POST /token code=4/abc&client_secret=s3cr3t refresh_token=1//xyz "
            "Authorization: Bearer ya29.token-value?access_token=tok&state=keep")
    masked = scrub(line)
    for secret in ("4/abc", "s3cr3t", "1//xyz", "ya29.token-value", "=tok"):
        assert secret not in masked
    assert "state=keep" in masked and "code=***" in masked
