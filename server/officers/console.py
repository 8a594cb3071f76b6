"""The officer console's API blueprints beyond sign-in and reports, registered by the app factory."""

from __future__ import annotations

from flask_smorest import Blueprint


def blueprints() -> tuple[Blueprint, ...]:
    from ..announcements.officer_views import blp as announcements
    from ..audit.views import blp as audit
    from ..communes.views import blp as communes
    from ..groups.management_views import blp as groups
    from ..stats.views import blp as stats
    from .views import accounts

    return (accounts, communes, groups, announcements, audit, stats)
