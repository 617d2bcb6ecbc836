"""Strings of django-waffle and django-simple-history that staff read in the admin.

Neither package ships a Japanese catalogue. Listing their messages here, exactly as they are
written in the packages, puts them in flags' catalogue (makemessages finds them), and Django
looks a message up in every catalogue, so the flag and switch pages are Japanese too. After
upgrading either package, compare these with its source: a changed message shows in English.
"""

from django.utils.translation import gettext_noop

WAFFLE = (
    # waffle/models.py: the flag, switch and sample fields, their help texts and model names.
    gettext_noop("Name"),
    gettext_noop("The human/computer readable name."),
    gettext_noop("Everyone"),
    gettext_noop(
        "Flip this flag on (Yes) or off (No) for everyone, overriding all other settings. "
        "Leave as Unknown to use normally."
    ),
    gettext_noop("Percent"),
    gettext_noop(
        "A number between 0.0 and 99.9 to indicate a percentage of users for whom this flag "
        "will be active."
    ),
    gettext_noop("Testing"),
    gettext_noop("Allow this flag to be set for a session for user testing"),
    gettext_noop("Superusers"),
    gettext_noop("Flag always active for superusers?"),
    gettext_noop("Staff"),
    gettext_noop("Flag always active for staff?"),
    gettext_noop("Authenticated"),
    gettext_noop("Flag always active for authenticated users?"),
    gettext_noop("Languages"),
    gettext_noop("Activate this flag for users with one of these languages (comma-separated list)"),
    gettext_noop("Rollout"),
    gettext_noop("Activate roll-out mode?"),
    gettext_noop("Note"),
    gettext_noop("Note where this Flag is used."),
    gettext_noop("Created"),
    gettext_noop("Date when this Flag was created."),
    gettext_noop("Modified"),
    gettext_noop("Date when this Flag was last modified."),
    gettext_noop("Groups"),
    gettext_noop("Activate this flag for these user groups."),
    gettext_noop("Users"),
    gettext_noop("Activate this flag for these users."),
    gettext_noop("Active"),
    gettext_noop("Is this switch active?"),
    gettext_noop("Note where this Switch is used."),
    gettext_noop("Date when this Switch was created."),
    gettext_noop("Date when this Switch was last modified."),
    gettext_noop("Note where this Sample is used."),
    gettext_noop("Date when this Sample was created."),
    gettext_noop("Date when this Sample was last modified."),
    gettext_noop("Switch"),
    gettext_noop("Switches"),
    gettext_noop("Sample"),
    gettext_noop("Samples"),
    # waffle/admin.py: the list actions.
    gettext_noop("Enable selected flags for everyone"),
    gettext_noop("Disable selected flags for everyone"),
    gettext_noop("Delete selected"),
    gettext_noop("Enable selected switches"),
    gettext_noop("Disable selected switches"),
)

SIMPLE_HISTORY = (
    # simple_history/templates/simple_history/object_history_form.html: one version's page.
    gettext_noop("View %(verbose_name)s"),
)
