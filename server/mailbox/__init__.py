"""Per-tip mailboxes: what officers do about an anonymous tip, sealed to the tip's own public key (ADR 0004).

The mailbox is to an anonymous tip what the feed is to a group: the feed is addressed to a group's phone, a
mailbox only to whoever holds the tip's secret. It sits at the bottom beside the feed because reports (an
officer's reply or status change) write to it; server/tips serves it.
"""
