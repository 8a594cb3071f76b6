"""Live notifications for the officer console: events, urgent alerts and the cross-worker notifier."""
