"""The one-round-trip sync: push a phone's queued items, pull its group's changes since an opaque cursor."""
