"""`integrations keys rotate`: a new current key, every credential re-encrypted with it."""

from __future__ import annotations

import click

from worker.cli.common import database_url, settings


@click.group()
def keys() -> None:
    """Encryption keys for credentials at rest.

    \b
    Example:
      integrations keys rotate
    """


@keys.command("rotate")
def rotate_command() -> None:
    """Re-encrypt every connection's credentials with the current key.

    With the key file (no INTEGRATIONS_ENCRYPTION_KEYS), a new key is generated first and the old
    ones are kept for decryption. With INTEGRATIONS_ENCRYPTION_KEYS, put the new key first in the
    list, then run this.

    \b
    Example:
      integrations keys rotate
    """
    from worker.connections import rotate_keys
    from worker.crypto import add_key_to_file, database_keyring, keyring_from_settings
    from worker.db.connect import session

    cfg = settings()
    url = database_url()
    with session(url) as conn:  # fails early on a broken key configuration or one lacking stored keys
        database_keyring(cfg, conn)
    if cfg.encryption_keys is None:
        key = add_key_to_file(cfg.key_file)
        click.echo(f"new current key {key.key_id} added to {cfg.key_file}")
    keyring = keyring_from_settings(cfg)
    with session(url) as conn:
        count = rotate_keys(conn, keyring)
    click.echo(f"re-encrypted {count} connection(s) with key {keyring.current.key_id}")
