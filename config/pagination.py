"""Keyset ("cursor") pagination for every API list.

A page ends at the last row's ordering key; the next page starts strictly after it. Unlike
offsets, rows inserted meanwhile never shift or repeat what a client has already read, and a
page deep into millions of readings costs the same as the first (the key is an index prefix).

Cursors are opaque: the keyset values and a fingerprint of the query (path and every parameter
but the cursor and page size) are encrypted and authenticated with Fernet under a key derived
from SECRET_KEY, so a cursor reveals no database id, cannot be forged or edited, is refused on
another query, and expires after API_CURSOR_MAX_AGE_S.
"""

import base64
import hashlib
from functools import lru_cache
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.db.models.fields.tuple_lookups import (
    Tuple,
    TupleGreaterThan,
    TupleGreaterThanOrEqual,
    TupleLookupMixin,
)
from django.utils.crypto import salted_hmac
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from config.errors import ValidationFailed


class _RowValuesGreaterThan(TupleGreaterThan):
    """``(a, b) > (x, y)`` as a row-value comparison on SQLite too: it has them (since 3.15),
    but Django spells them out there as ORs, which SQLite cannot answer from the index."""

    def as_sqlite(self, compiler, connection):
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


class _RowValuesGreaterThanOrEqual(TupleGreaterThanOrEqual):
    def as_sqlite(self, compiler, connection):
        return super(TupleLookupMixin, self).as_sql(compiler, connection)


def keyset_after(fields: tuple[str, ...], values: list[Any], *, inclusive: bool = False) -> Q:
    """Rows whose (fields) come after (values) in ascending order; with ``inclusive``, also the
    row at (values).

    A row-value comparison, ``(a, b) > (x, y)``: the database answers it as a range of the
    index on (a, b), so a page deep into millions of rows starts where the cursor points
    instead of filtering every row before it (as ``a > x OR (a = x AND b > y)`` does).
    """
    if len(fields) == 1:
        return Q(**{f"{fields[0]}__{'gte' if inclusive else 'gt'}": values[0]})
    compare = _RowValuesGreaterThanOrEqual if inclusive else _RowValuesGreaterThan
    return Q(compare(Tuple(*(F(field) for field in fields)), tuple(values)))


class KeysetPagination(BasePagination):
    """Views set ``keyset`` (the ordering fields, unique together); they may override
    ``keyset_filter(values) -> Q`` where "after" is not a plain comparison, and
    ``keyset_page(queryset, limit) -> rows`` where a page's rows are computed from the queryset
    rather than being its first rows."""

    page_size = 100
    max_page_size = 10_000
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size_now = self._page_size(request)
        keyset = view.keyset
        after = self._decode(request, len(keyset))
        try:
            if after is not None:
                keyset_filter = getattr(view, "keyset_filter", None)
                condition = keyset_filter(after) if keyset_filter else keyset_after(keyset, after)
                queryset = queryset.filter(condition)
            # A view whose rows are not the queryset's (sums over buckets) pages them itself.
            page_rows = getattr(view, "keyset_page", None)
            limit = self.page_size_now + 1
            rows = (
                page_rows(queryset, limit)
                if page_rows
                else list(queryset.order_by(*keyset)[:limit])
            )
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
        cursor = cursor_encode(self.next_values, query=self._query(self.request))
        return replace_query_param(url, self.cursor_query_param, cursor)

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

    def _query(self, request) -> str:
        params = request.query_params
        return query_fingerprint(
            request.path,
            [
                (name, value)
                for name in params
                if name not in (self.cursor_query_param, self.page_size_query_param)
                for value in params.getlist(name)
            ],
        )

    def _decode(self, request, length: int) -> list[Any] | None:
        if self.cursor_query_param not in request.query_params:
            return None
        values = cursor_decode(
            request.query_params[self.cursor_query_param], query=self._query(request)
        )
        if not isinstance(values, list) or len(values) != length:
            raise _invalid_cursor()
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
                    "example": "https://shoene.example/api/v1/readings/?cursor=gAAAAABo…",
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


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    key = salted_hmac("shoene.api.cursor", "fernet", secret=secret_key, algorithm="sha256")
    return Fernet(base64.urlsafe_b64encode(key.digest()))


def query_fingerprint(path: str, params: list[tuple[str, str]]) -> str:
    """What a cursor is bound to: the list's path and its parameters, in any order."""
    data = orjson.dumps([path, sorted(params)])
    return hashlib.sha256(data).hexdigest()[:32]


def cursor_encode(values: list[Any], *, query: str) -> str:
    token = _fernet(settings.SECRET_KEY).encrypt(orjson.dumps({"k": values, "q": query}))
    return token.decode().rstrip("=")


def cursor_decode(cursor: str, *, query: str) -> Any:
    """The keyset values of a cursor this API gave out for ``query``; 400 otherwise."""
    cursor = cursor.strip()
    token = cursor.encode() + b"=" * (-len(cursor) % 4)
    try:
        data = _fernet(settings.SECRET_KEY).decrypt(token, ttl=settings.API_CURSOR_MAX_AGE_S)
        payload = orjson.loads(data)
    except (InvalidToken, ValueError, orjson.JSONDecodeError):
        age = settings.API_CURSOR_MAX_AGE_S
        age_text = f"{age // 3600} hours" if age % 3600 == 0 else f"{age} seconds"
        raise _invalid_cursor(
            f"The cursor is not one this API gave out, or it is more than {age_text} old; "
            "start again without it."
        ) from None
    if payload.get("q") != query:
        raise _invalid_cursor(
            "The cursor belongs to another query (other filters or another list); start "
            "again without it, or keep the parameters it was given with."
        )
    return payload.get("k")


def _invalid_cursor(
    message: str = "The cursor is not one this API gave out; start again without it.",
) -> ValidationFailed:
    return ValidationFailed(message, code="invalid_cursor", details={"cursor": [message]})


def _value(row: Any, field: str) -> Any:
    value = row[field] if isinstance(row, dict) else getattr(row, field)
    return value.isoformat() if hasattr(value, "isoformat") else value
