"""flask-smorest as this API uses it: the Blueprint every view module builds on, and its pages.

A paged endpoint returns a ``select`` and is decorated ``@blp.paginate(QueryPage)``: the page arrives in the
query as ``page`` and ``per_page`` and leaves in the body as ``{"items", "total", "page", "per_page"}`` (what
the console reads), not in flask-smorest's ``X-Pagination`` header.
"""

from __future__ import annotations

from typing import Any, ClassVar

import flask_smorest
from flask_smorest.pagination import Page

from .database import count
from .extensions import db


class Blueprint(flask_smorest.Blueprint):
    DEFAULT_PAGINATION_PARAMETERS: ClassVar[dict[str, int]] = {"page": 1, "page_size": 50, "max_page_size": 200}

    def paginate(self, pager: type[Page] | None = None, **kwargs: Any) -> Any:
        """flask-smorest's ``paginate``, with the page size read from ``per_page``: flask-smorest has no hook to
        rename its parameters (its issue #327), so the field of the schema it generates gets our name."""
        decorate = super().paginate(pager, **kwargs)

        def decorator(view: Any) -> Any:
            wrapper = decorate(view)
            wrapper._apidoc["pagination"]["parameters"]["schema"]._declared_fields["page_size"].data_key = "per_page"
            return wrapper

        return decorator

    def _set_pagination_metadata(self, params: Any, result: Any, headers: Any) -> tuple[Any, Any]:
        return {"items": result, "total": params.item_count, "page": params.page, "per_page": params.page_size}, headers

    def _document_pagination_metadata(self, spec: Any, resp_doc: Any) -> None:
        """No header to document: the response schema describes the page."""


class QueryPage(Page):
    """Pages a SQLAlchemy ``select``: one COUNT, then one LIMIT/OFFSET query for the page's rows."""

    @property
    def item_count(self) -> int:
        return count(self.collection)

    @property
    def items(self) -> list[Any]:
        params = self.page_params
        return list(db.session.scalars(self.collection.offset(params.first_item).limit(params.page_size)))
