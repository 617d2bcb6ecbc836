"""Who may call the API and what they see.

Two ways in: an API key (``Authorization: Bearer <key>``; machines and the data team's jobs),
limited by its scopes; or a browser session (a signed-in customer), limited to the premises the
customer owns. Every lookup goes through ``premises_visible`` / ``meters_visible``, so another
customer's premise or meter is a 404 whatever the filter or id.
"""

from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from config.degrade import REDIS_ERRORS, redis_unavailable
from energy.apikeys.models import ApiKey, ApiScope
from energy.apikeys.services import KeyRefused, api_key_for_secret
from energy.models import Meter, Premise
from energy.selectors import VIEW_ALL_PERMISSION, premises_for

# Keys with any of these read every customer's data (pseudonymised unless also ``pii``).
DATA_SCOPES = frozenset({ApiScope.EXPORT, ApiScope.PII})


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <key>``; sets ``request.auth`` to the ``ApiKey``."""

    keyword = "bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            key = api_key_for_secret(header[1].decode("ascii", errors="replace"))
        except KeyRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return key.user, key

    def authenticate_header(self, request) -> str:
        # Makes a missing key a 401 (with WWW-Authenticate), not a 403.
        return 'Bearer realm="api"'


def api_key_of(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def scope_required(scope: str, *, session_perm: str | None = None) -> type:
    """A permission class: keys need ``scope``; sessions need ``session_perm`` when one is given.

    Without ``session_perm`` a signed-in user passes and sees only what they own.
    """

    class ScopeRequired(permissions.BasePermission):
        message = f"This API key lacks the '{scope}' scope."

        def has_permission(self, request, view) -> bool:
            if not (request.user and request.user.is_authenticated):
                return False
            key = api_key_of(request)
            if key is not None:
                return key.has_scope(scope)
            if session_perm is not None:
                self.message = f"This needs the {session_perm} permission."
                return request.user.has_perm(session_perm)
            return True

    ScopeRequired.__name__ = f"ScopeRequired[{scope}]"
    return ScopeRequired


def premises_visible(request) -> QuerySet[Premise]:
    """Keys with a data scope read every premise; a session what ``premises_for`` allows."""
    key = api_key_of(request)
    if key is not None:
        return (
            Premise.objects.all()
            if DATA_SCOPES.intersection(key.scopes)
            else Premise.objects.none()
        )
    return premises_for(user=request.user)


def meters_visible(request) -> QuerySet[Meter]:
    return Meter.objects.filter(premise__in=premises_visible(request))


def sees_personal_fields(request) -> bool:
    """Names, addresses and emails: for keys with ``pii``, for customers (who see only their
    own premises) and for superusers; not for data-team sessions."""
    key = api_key_of(request)
    if key is not None:
        return key.has_scope(ApiScope.PII)
    return request.user.is_superuser or not request.user.has_perm(VIEW_ALL_PERMISSION)


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per key (the key's own rate, or the ``key`` default), per signed-in user, or per address.

    Rates are in ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]``; a refusal is a 429 with
    Retry-After in the one error format. The counts live in the cache (Redis): while it does
    not answer, requests go through unthrottled (counted as
    ``shoene_redis_unavailable_total{use="api_rate_limit"}``) rather than refused; a gateway's
    batch is then stored and answered 202 as usual.
    """

    def __init__(self):
        # Who is asking, and so the rate, is known only in allow_request.
        pass

    def allow_request(self, request, view):
        key = api_key_of(request)
        if key is not None:
            self.scope, self.ident = "key", f"key:{key.pk}"
        elif request.user and request.user.is_authenticated:
            self.scope, self.ident = "user", f"user:{request.user.pk}"
        else:
            self.scope, self.ident = "anon", self.get_ident(request)
        self.rate = (key.rate if key is not None else "") or self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except REDIS_ERRORS:
            redis_unavailable(use="api_rate_limit", lost="the request was not rate-limited")
            return True

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.ident}


def customer_pseudonym(user_id: int) -> str:
    """A customer's stable pseudonymous id for the data team (keyed with SECRET_KEY)."""
    return "c_" + salted_hmac("shoene.api.customer", str(user_id)).hexdigest()[:16]


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Documents API keys in the OpenAPI schema as HTTP bearer authentication."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key (shoene_<prefix>_<secret>) with the scopes the "
            "operation needs: ingest, export, experiments:read, pii.",
        }
