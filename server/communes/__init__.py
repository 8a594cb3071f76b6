"""Communes and their villages: the unit of police jurisdiction and of every officer's scope."""
