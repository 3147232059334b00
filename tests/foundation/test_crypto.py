"""Credentials at rest: AES-GCM with key ids, rotation, clear errors for missing or wrong keys."""

import os
import stat

import pytest

from worker.crypto import Key, KeyError_, Keyring, new_key_spec, parse_keys, read_or_create_key_file


def test_ciphertext_carries_key_id_and_is_bound_to_the_connection():
    ring = Keyring([Key("k1", os.urandom(32))])
    blob = ring.encrypt({"refresh_token": "secret-xyz"}, associated="conn-1")
    assert b"secret-xyz" not in blob
    assert ring.key_id_of(blob) == "k1"
    assert ring.decrypt(blob, associated="conn-1") == {"refresh_token": "secret-xyz"}
    with pytest.raises(KeyError_, match="does not decrypt"):
        ring.decrypt(blob, associated="conn-2")


def test_old_key_still_decrypts_after_a_new_one_becomes_current():
    old, new = Key("old", os.urandom(32)), Key("new", os.urandom(32))
    blob = Keyring([old]).encrypt({"t": 1}, "c")
    ring = Keyring([new, old])
    assert ring.decrypt(blob, "c") == {"t": 1}
    assert ring.key_id_of(ring.encrypt({"t": 1}, "c")) == "new"


def test_missing_and_wrong_keys_are_clear_errors():
    blob = Keyring([Key("k1", os.urandom(32))]).encrypt({"t": 1}, "c")
    with pytest.raises(KeyError_, match="'k1', which is not configured"):
        Keyring([Key("k2", os.urandom(32))]).decrypt(blob, "c")
    with pytest.raises(KeyError_, match="wrong key material"):
        Keyring([Key("k1", os.urandom(32))]).decrypt(blob, "c")


def test_key_spec_parsing_rejects_bad_input():
    assert parse_keys(new_key_spec("a"))[0].key_id == "a"
    with pytest.raises(KeyError_, match="32 bytes"):
        parse_keys("a:AAAA")
    with pytest.raises(KeyError_, match="key_id:base64key"):
        parse_keys("just-a-key")


def test_key_file_is_created_once_with_0600(tmp_path):
    path = tmp_path / "data" / "keys"
    first = read_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_or_create_key_file(path)[0].secret == first[0].secret
    assert "secret" not in repr(first[0]) and repr(first[0]).startswith("Key(key_id=")
