"""Who may call the API and what they see.

Two ways in: an API key (``Authorization: Bearer <key>``; machines and the data team's jobs),
limited by its scopes; or a browser session (a signed-in customer), limited to the premises the
customer owns. Every lookup goes through ``premises_visible`` / ``meters_visible``, so another
customer's premise or meter is a 404 whatever the filter or id.
"""

from django.conf import settings
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling

from config.degrade import REDIS_ERRORS, redis_unavailable
from config.observability.metrics import API_THROTTLED
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
        if not header or header[0].lower().decode(errors="replace") != self.keyword:
            return None
        # An address that sent too many refused keys is refused before its next key is even
        # looked at: guessing gets nowhere.
        failures = AddressThrottle("auth_failure")
        failures.refuse_if_over(request)
        if len(header) != 2:
            failures.count(request)
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            key = api_key_for_secret(header[1].decode("ascii", errors="replace"))
        except KeyRefused as exc:
            failures.count(request)
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


def sees_every_premise(request) -> bool:
    """Keys with a data scope read every premise (lists then need no filter by premise)."""
    key = api_key_of(request)
    return key is not None and bool(DATA_SCOPES.intersection(key.scopes))


def premises_visible(request) -> QuerySet[Premise]:
    """Keys with a data scope read every premise; a session what ``premises_for`` allows."""
    if sees_every_premise(request):
        return Premise.objects.all()
    if api_key_of(request) is not None:
        return Premise.objects.none()
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


class AddressThrottle(throttling.SimpleRateThrottle):
    """Requests of one kind per client address: anonymous calls (``anon``) or refused keys
    (``auth_failure``), at the rate ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` gives it (read
    on each use). Over it: 429 with Retry-After, counted in ``shoene_api_throttled_total``.
    While the cache (Redis) does not answer nothing is refused (``config.degrade``)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        # What a Redis outage costs, as config.degrade counts it: the request's rate limit, or
        # the check on its address's refused keys.
        self.use = "api_auth_failure_limit" if scope == "auth_failure" else "api_rate_limit"
        super().__init__()

    def get_rate(self) -> str:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope]

    def get_cache_key(self, request, view=None) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def refuse_if_over(self, request) -> None:
        """Raise Throttled when the address is over the limit, without counting this request."""
        try:
            self.key = self.get_cache_key(request)
            self.history = self.cache.get(self.key, [])
        except REDIS_ERRORS:
            redis_unavailable(use=self.use, lost="the request was not rate-limited")
            return
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            API_THROTTLED.labels(self.scope).inc()
            raise exceptions.Throttled(wait=self.wait())

    def count(self, request) -> None:
        try:
            if not self.allow_request(request, None):
                API_THROTTLED.labels(self.scope).inc()
                raise exceptions.Throttled(wait=self.wait())
        except REDIS_ERRORS:
            redis_unavailable(use=self.use, lost="the request was not rate-limited")


class AnonymousRateLimit(authentication.BaseAuthentication):
    """Last of the authentication classes: a request none of the others recognised is
    anonymous, and is limited per address here, before a permission check could answer it 401
    (DRF checks throttles only after permissions)."""

    def authenticate(self, request):
        AddressThrottle("anon").count(request)
        return None


class ApiKeyRateThrottle(throttling.SimpleRateThrottle):
    """Per key (the key's own rate, or the ``key`` default) or per signed-in user; anonymous
    calls are limited per address by ``AnonymousRateLimit`` as they are authenticated.

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
            return True  # counted by AnonymousRateLimit
        self.rate = (key.rate if key is not None else "") or self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            allowed = super().allow_request(request, view)
        except REDIS_ERRORS:
            redis_unavailable(use="api_rate_limit", lost="the request was not rate-limited")
            return True
        if not allowed:
            API_THROTTLED.labels(self.scope).inc()
        return allowed

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
