"""Google (Gmail, Calendar): user-owned accounts, OAuth 2, one shared HTTP client."""
