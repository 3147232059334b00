"""Google OAuth: consent, token refresh, revocation."""
