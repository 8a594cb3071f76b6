"""Urgent alerts that reach a person (push, escalation, acknowledgement) and the live console endpoints."""
