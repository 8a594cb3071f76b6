"""Commune officers: sign-in, sessions with CSRF protection, roles, accounts, and what each role may name."""
