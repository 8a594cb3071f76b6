"""The change feed: what phones must learn (statuses, replies, announcements, group profiles), in commit order."""
