"""Households' keys: the one-time household code, the PIN check that releases the server's share, reset codes."""
