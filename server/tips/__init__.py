"""Anonymous tips sent alone: blind-signed one-use tokens, the tip itself, its photos and its mailbox (ADR 0004)."""
