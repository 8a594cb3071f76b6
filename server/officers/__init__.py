"""Commune officers: sign-in, sessions with CSRF protection, roles and the commune scope of every query."""
