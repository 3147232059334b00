"""Database access: which server (configured or embedded), connections, migrations."""
