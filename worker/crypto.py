"""Credentials at rest: AES-256-GCM with the key id inside every ciphertext, so keys can rotate.

Layout: b"IK1" | len(key_id) | key_id | 12-byte nonce | ciphertext+tag. The connection id is the
associated data, so a ciphertext copied onto another connection does not decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from worker.errors import BadInput

MAGIC = b"IK1"


class KeyError_(BadInput):
    """A key is missing or wrong; existing ciphertexts are left untouched."""


@dataclass(frozen=True)
class Key:
    key_id: str
    secret: bytes

    def __repr__(self) -> str:  # never show key material
        return f"Key(key_id={self.key_id!r})"


class Keyring:
    """The configured keys; the first one encrypts, every one can decrypt."""

    def __init__(self, keys: list[Key]) -> None:
        if not keys:
            raise KeyError_("no encryption key configured")
        self.keys = keys
        self._by_id = {k.key_id: k for k in keys}

    def __repr__(self) -> str:
        return f"Keyring(key_ids={[k.key_id for k in self.keys]})"

    @property
    def current(self) -> Key:
        return self.keys[0]

    def encrypt(self, data: dict[str, Any], associated: str) -> bytes:
        key = self.current
        nonce = os.urandom(12)
        body = AESGCM(key.secret).encrypt(nonce, json.dumps(data).encode(), associated.encode())
        kid = key.key_id.encode()
        return MAGIC + bytes([len(kid)]) + kid + nonce + body

    def decrypt(self, blob: bytes, associated: str) -> dict[str, Any]:
        key_id, nonce, body = split_ciphertext(blob)
        key = self._by_id.get(key_id)
        if key is None:
            raise KeyError_(
                f"credentials were encrypted with key {key_id!r}, which is not configured "
                "(set INTEGRATIONS_ENCRYPTION_KEYS to include it)"
            )
        try:
            plain = AESGCM(key.secret).decrypt(nonce, body, associated.encode())
        except InvalidTag:
            raise KeyError_(f"key {key_id!r} does not decrypt these credentials: wrong key material") from None
        return json.loads(plain)

    def key_id_of(self, blob: bytes) -> str:
        return split_ciphertext(blob)[0]


def split_ciphertext(blob: bytes) -> tuple[str, bytes, bytes]:
    blob = bytes(blob)
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise KeyError_("stored credentials are not in a known format")
    n = blob[len(MAGIC)]
    start = len(MAGIC) + 1
    key_id = blob[start:start + n].decode()
    nonce = blob[start + n:start + n + 12]
    return key_id, nonce, blob[start + n + 12:]


def parse_keys(spec: str) -> list[Key]:
    """`id:base64key,id2:base64key2` → keys (32-byte keys, standard or urlsafe base64)."""
    keys = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id or len(key_id) > 64:
            raise KeyError_("INTEGRATIONS_ENCRYPTION_KEYS: expected `key_id:base64key` pairs separated by commas")
        try:
            secret = base64.urlsafe_b64decode(encoded.replace("+", "-").replace("/", "_") + "=" * (-len(encoded) % 4))
        except (ValueError, TypeError):
            raise KeyError_(f"INTEGRATIONS_ENCRYPTION_KEYS: key {key_id!r} is not valid base64") from None
        if len(secret) != 32:
            raise KeyError_(f"INTEGRATIONS_ENCRYPTION_KEYS: key {key_id!r} must be 32 bytes, got {len(secret)}")
        keys.append(Key(key_id, secret))
    return keys


def new_key_spec(key_id: str | None = None) -> str:
    key_id = key_id or "k" + secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


def read_or_create_key_file(path: Path) -> list[Key]:
    """The embedded default: a key file in the data dir, created once with mode 0600."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(new_key_spec() + "\n")
    return parse_keys(",".join(path.read_text().split()))


def keyring_for_database(settings, stored_key_ids: set[str]) -> Keyring:
    """The keyring, refused unless it holds every key the database's credentials were encrypted with.

    Without INTEGRATIONS_ENCRYPTION_KEYS the key file lives in the data dir, which is relative to
    the working directory by default: a process started elsewhere would create a new key, fail
    every decryption and encrypt refreshed tokens with a key no other process has. So the key file
    is created only for a database that holds no credentials yet."""
    where = ("INTEGRATIONS_ENCRYPTION_KEYS" if settings.encryption_keys is not None
             else f"the key file {settings.key_file}")
    remedy = ("set INTEGRATIONS_ENCRYPTION_KEYS to include them, or INTEGRATIONS_DATA_DIR to the directory"
              " whose `keys` file holds them (start the process where the others run)")
    if settings.encryption_keys is None and not settings.key_file.exists() and stored_key_ids:
        raise KeyError_(f"the database holds credentials encrypted with {_named(stored_key_ids)}, and there is no"
                        f" key file at {settings.key_file}: refusing to create a new key; {remedy}")
    keyring = keyring_from_settings(settings)
    missing = set(stored_key_ids) - {key.key_id for key in keyring.keys}
    if missing:
        raise KeyError_(f"the database holds credentials encrypted with {_named(missing)}, which {where} does"
                        f" not have; {remedy}")
    return keyring


def database_keyring(settings, conn) -> Keyring:
    """`keyring_for_database` for the database behind `conn` (a psycopg connection with dict rows)."""
    from worker.store import query

    return keyring_for_database(settings, {row["key_id"] for row in conn.execute(query("keys.stored_key_ids"))})


def _named(key_ids) -> str:
    ids = sorted(key_ids)
    return ("key " if len(ids) == 1 else "keys ") + ", ".join(ids)


def keyring_from_settings(settings) -> Keyring:
    if settings.encryption_keys is not None:
        return Keyring(parse_keys(settings.encryption_keys.get_secret_value()))
    return Keyring(read_or_create_key_file(settings.key_file))


def add_key_to_file(path: Path) -> Key:
    """Prepend a new key to the key file (it becomes current); older keys stay for decryption."""
    existing = path.read_text().split() if path.exists() else []
    spec = new_key_spec()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join([spec, *existing]) + "\n")
    os.replace(tmp, path)
    return parse_keys(spec)[0]
