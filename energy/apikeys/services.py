"""API keys: create one (the secret is returned once), find the key a secret belongs to, revoke."""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from config.errors import ValidationFailed
from energy.apikeys.models import ApiKey, ApiScope

KEY_PREFIX = "shoene"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    name: str,
    user,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    rate: str = "",
    created_by=None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; return it with its full secret, which is not stored and not shown again.

    ``secret`` fixes the secret (the demo's keys only); normally it is random.
    """
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in ApiScope.values]
    if unknown:
        raise ValidationFailed(
            f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(ApiScope.values)}.",
            code="unknown_scope",
        )
    if not scopes:
        raise ValidationFailed("A key needs at least one scope.", code="no_scope")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationFailed("The expiry is in the past.", code="expired")
    if secret is None:
        secret = f"{KEY_PREFIX}_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise ValidationFailed("A key's secret must look like shoene_<prefix>_<random>.")
    prefix = parts[1]
    key = ApiKey.objects.create(
        name=name,
        user=user,
        prefix=prefix,
        secret_sha256=_digest(secret),
        scopes=scopes,
        rate=rate,
        expires_at=expires_at,
        created_by=created_by,
    )
    return key, secret


class KeyRefused(Exception):
    """The presented secret is not a usable key; the message says why (safe to show)."""


def api_key_for_secret(secret: str) -> ApiKey:
    """The live key a presented secret belongs to, or ``KeyRefused``."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        raise KeyRefused("Malformed API key.")
    key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
    # Compared in constant time, and a digest is computed even for an unknown prefix.
    if not hmac.compare_digest(key.secret_sha256 if key else "0" * 64, _digest(secret)):
        raise KeyRefused("Unknown API key.")
    now = timezone.now()
    if key.revoked_at is not None:
        raise KeyRefused("This API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise KeyRefused("This API key has expired.")
    if not key.user.is_active:
        raise KeyRefused("The account this API key acts as is inactive.")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def api_keys_revoke(*, keys) -> int:
    """Revoke the given keys now; return how many were live."""
    return keys.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
