"""``manage.py api_key create|list|revoke``: API keys from the command line."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from config.errors import ValidationFailed
from energy.apikeys.models import ApiKey, ApiScope
from energy.apikeys.services import api_key_create, api_keys_revoke


class Command(BaseCommand):
    help = "Create, list or revoke API keys. A new key's secret is printed once."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a key and print its secret once.")
        create.add_argument("--name", required=True, help="What the key is for.")
        create.add_argument("--user", required=True, help="The username the key acts as.")
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=ApiScope.values,
            help="Repeat for several scopes.",
        )
        create.add_argument(
            "--expires", help="ISO 8601 date and time, e.g. 2027-03-31T00:00+09:00."
        )
        create.add_argument("--rate", default="", help="e.g. 600/min; default: the site's.")
        actions.add_parser("list", help="List keys (never their secrets).")
        revoke = actions.add_parser("revoke", help="Revoke keys by prefix.")
        revoke.add_argument("prefixes", nargs="+")

    def handle(self, *args, action, **options):
        getattr(self, f"_{action}")(**options)

    def _create(self, *, name, user, scope, expires, rate, **_):
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"No user {user!r}.")
        expires_at = None
        if expires:
            expires_at = parse_datetime(expires)
            if expires_at is None or expires_at.tzinfo is None:
                raise CommandError("--expires must be an ISO 8601 date and time with an offset.")
        try:
            key, secret = api_key_create(
                name=name, user=account, scopes=scope, expires_at=expires_at, rate=rate
            )
        except ValidationFailed as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(f"Created key {key.prefix} for {user} ({', '.join(key.scopes)}).")
        self.stderr.write("Its secret follows; it is stored only as a digest and not shown again.")
        self.stdout.write(secret)

    def _list(self, **_):
        for key in ApiKey.objects.select_related("user"):
            state = (
                "revoked"
                if key.revoked_at
                else (f"expires {key.expires_at:%Y-%m-%d}" if key.expires_at else "live")
            )
            scopes = ",".join(key.scopes)
            self.stdout.write(
                f"{key.prefix}  {key.user.username:<12} {scopes:<28} {state:<18} {key.name}"
            )

    def _revoke(self, *, prefixes, **_):
        found = ApiKey.objects.filter(prefix__in=prefixes)
        missing = sorted(set(prefixes) - set(found.values_list("prefix", flat=True)))
        if missing:
            raise CommandError(f"No key with prefix {', '.join(missing)}; nothing revoked.")
        count = api_keys_revoke(keys=found)
        self.stdout.write(f"Revoked {count} key(s).")
