"""Serving the two front ends (household PWA at ``/``, officer console at ``/officer/``) and security headers."""
