"""API keys and what they may do."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiScope(models.TextChoices):
    """What an API key may do (docs/api.md, "Keys and scopes")."""

    INGEST = "ingest", _("Post meter readings")
    EXPORT = "export", _("Read and export data")
    EXPERIMENTS_READ = "experiments:read", _("Read experiments and their results")
    PII = "pii", _("See customers' personal fields")


class ApiKey(models.Model):
    """A key for machines (meter gateways, the data team's jobs), stored as a SHA-256 digest.

    The secret is shown once, when the key is created; ``prefix`` is its public part, used to
    find the key and to tell keys apart in the admin and in logs.
    """

    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_keys",
        verbose_name=_("acts as"),
        help_text=_("Batches the key posts are recorded under this account."),
    )
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    # A digest of 32 random bytes: a fast hash is enough, as the secret cannot be guessed.
    secret_sha256 = models.CharField(_("secret SHA-256"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    rate = models.CharField(
        _("rate limit"),
        max_length=20,
        blank=True,
        help_text=_("Requests per period, e.g. 600/min. Empty: the site default."),
        validators=[
            RegexValidator(
                r"^[1-9][0-9]*/(s|sec|m|min|h|hour|d|day)$",
                _("Write it as a number of requests per s, min, hour or day, e.g. 600/min."),
            )
        ],
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        db_table = "energy_apikey"  # created by the energy app, before API keys had their own
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes
