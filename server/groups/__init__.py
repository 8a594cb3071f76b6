"""Household groups sharing one phone, their households, and the phones (devices) enrolled for them."""
