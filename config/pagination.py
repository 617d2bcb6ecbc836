"""Keyset ("cursor") pagination for every API list.

A page ends at the last row's ordering key; the next page starts strictly after it. Unlike
offsets, rows inserted meanwhile never shift or repeat what a client has already read, and a
page deep into millions of readings costs the same as the first (the key is an index prefix).
"""

import base64
from typing import Any

import orjson
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.errors import ValidationFailed


def keyset_after(fields: tuple[str, ...], values: list[Any]) -> Q:
    """Rows whose (fields) come strictly after (values), in ascending order."""
    condition = Q()
    for depth in range(len(fields), 0, -1):
        prefix = {field: value for field, value in zip(fields[: depth - 1], values, strict=False)}
        step = Q(**prefix, **{f"{fields[depth - 1]}__gt": values[depth - 1]})
        condition = step if depth == len(fields) else condition | step
    return condition


class KeysetPagination(BasePagination):
    """Views set ``keyset`` (the ordering fields, unique together); they may override
    ``keyset_filter(values) -> Q`` where "after" is not a plain comparison."""

    page_size = 100
    max_page_size = 10_000
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size_now = self._page_size(request)
        keyset = view.keyset
        after = self._decode(request.query_params.get(self.cursor_query_param), len(keyset))
        try:
            if after is not None:
                keyset_filter = getattr(view, "keyset_filter", None)
                condition = keyset_filter(after) if keyset_filter else keyset_after(keyset, after)
                queryset = queryset.filter(condition)
            rows = list(queryset.order_by(*keyset)[: self.page_size_now + 1])
        except (DjangoValidationError, ValueError, TypeError) as exc:  # a value of a wrong type
            raise ValidationFailed("The cursor is not valid here.", code="invalid_cursor") from exc
        self.has_next = len(rows) > self.page_size_now
        rows = rows[: self.page_size_now]
        self.next_values = [_value(rows[-1], field) for field in keyset] if self.has_next else None
        return rows

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "results": data})

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self._encode(self.next_values))

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationFailed(
                f"page_size must be a whole number from 1 to {self.max_page_size}.",
                code="invalid_page_size",
            )
        return int(raw)

    @staticmethod
    def _encode(values: list[Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")

    @staticmethod
    def _decode(cursor: str | None, length: int) -> list[Any] | None:
        if not cursor:
            return None
        try:
            values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (ValueError, orjson.JSONDecodeError):
            values = None
        if not isinstance(values, list) or len(values) != length:
            raise ValidationFailed(
                "The cursor is not one this API gave out; start again without it.",
                code="invalid_cursor",
            )
        return values

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null on the last page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The cursor from the previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _value(row: Any, field: str) -> Any:
    value = row[field] if isinstance(row, dict) else getattr(row, field)
    return value.isoformat() if hasattr(value, "isoformat") else value
