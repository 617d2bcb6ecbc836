"""The staff console's home page leads with what needs attention today (``{% staff_home %}``
in ``admin/staff_home.html``): the overview, the experiments running, the flags about to
expire. Each part only for staff who may view that kind of object."""

from datetime import datetime

from django import template
from django.utils import timezone

from flags.selectors import flags_expiring, running_experiments

register = template.Library()

# Flags whose expiry in flags/registry.py is this close (or past) are listed.
FLAG_EXPIRY_WARNING_DAYS = 30


@register.inclusion_tag("admin/staff_home_panel.html", takes_context=True)
def staff_home(context) -> dict:
    user = context["request"].user
    panel = {"can_see_overview": user.is_staff, "experiments": None, "flags": None}
    if user.has_perm("flags.view_experiment") or user.has_perm("flags.change_experiment"):
        panel["experiments"] = [
            {
                **row,
                "computed_at_local": timezone.localtime(datetime.fromisoformat(row["computed_at"]))
                if row["computed_at"]
                else None,
            }
            for row in running_experiments()
        ]
    if user.has_perm("flags.view_flag") or user.has_perm("flags.change_flag"):
        panel["flags"] = [
            {**row, "days_left_abs": abs(row["days_left"])}
            for row in flags_expiring(
                today=timezone.localdate(), within_days=FLAG_EXPIRY_WARNING_DAYS
            )
        ]
        panel["flag_warning_days"] = FLAG_EXPIRY_WARNING_DAYS
    return panel
