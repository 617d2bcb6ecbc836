"""Shoene's waffle flag model (``WAFFLE_FLAG_MODEL = "flags.Flag"``).

It exists from the first migration so that percentage rollouts can later be made sticky per
user (hashing flag name and user id) without swapping the model under live data.
"""

from django.utils.translation import gettext_lazy as _
from waffle.models import AbstractUserFlag


class Flag(AbstractUserFlag):
    class Meta(AbstractUserFlag.Meta):
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
