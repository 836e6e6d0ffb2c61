"""Who may use Accord over HTTP: users, their roles and units, tokens, sessions, the audit."""
