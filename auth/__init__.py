"""Who is calling: the OAuth 2 authorization server (clients, scopes, signing keys, JWT access
tokens), development tokens (until the API takes OAuth's), principals and the visibility model."""
