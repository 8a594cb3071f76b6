"""Announcements and downloadable forms posted by the commune, delivered to phones through the feed."""
