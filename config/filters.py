"""Filters shared by the API's lists: strict, and bounded so no input reaches the database in a
form it cannot hold (every bad value is a 400 naming the parameter, never a 500).

* A parameter given empty (``start=``) is an error, not "absent".
* Times need a UTC offset; dates and ids stay within what the database and the calendar hold.
* Booleans are ``true`` or ``false``, nothing else.
"""

from datetime import UTC, date, datetime

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular.drainage import set_override
from drf_spectacular.utils import extend_schema_field

# Local days whose start exists as a UTC instant in every time zone, with a day to spare
# either side (the exclusive end of a range is the day after).
EARLIEST_DATE = date(1970, 1, 2)
LATEST_DATE = date(9998, 12, 31)
DATE_BOUNDS = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]
ID_MAX = 2**63 - 1  # PostgreSQL bigint


class AwareDateTimeFormField(forms.DateTimeField):
    """ISO 8601 with its UTC offset, converted to UTC; naive or unrepresentable times are
    errors (a naive time would be read in whatever zone the server is in)."""

    default_error_messages = {
        "invalid": "Not an ISO 8601 date and time.",
        "naive": "Give a UTC offset, e.g. 2026-01-01T00:00:00Z or 2026-01-01T09:00:00+09:00.",
        "range": "Out of range.",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if moment.tzinfo is None:
            raise forms.ValidationError(self.error_messages["naive"], code="naive")
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-05:00 is in year 10000 in UTC
            raise forms.ValidationError(self.error_messages["range"], code="range") from None


class UtcDateTimeFilter(django_filters.Filter):
    """An ISO 8601 time with its offset, compared in UTC (PostgreSQL refuses offsets beyond
    ±15:59, so the value is converted first)."""

    field_class = AwareDateTimeFormField


class DateFilter(django_filters.DateFilter):
    """YYYY-MM-DD within EARLIEST_DATE..LATEST_DATE."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("validators", DATE_BOUNDS)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(django_filters.Filter):
    """A whole number that can be a database id (1 to 2**63 - 1)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class _TrueFalseField(django_filters.fields.ChoiceField):
    def clean(self, value):
        value = super().clean(value)
        return None if value in self.empty_values else value == "true"


class BooleanFilter(django_filters.ChoiceFilter):
    """``true`` or ``false``; anything else is an error rather than ignored."""

    field_class = _TrueFalseField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("choices", (("true", "true"), ("false", "false")))
        super().__init__(*args, **kwargs)
        # In the schema a string of the two words (not the model field's boolean), keeping
        # the filter's own description.
        schema = {"type": "string", "enum": ["true", "false"]}
        if self.extra.get("help_text"):
            schema["description"] = str(self.extra["help_text"])
        set_override(self, "field", schema)


class _NoEmptyValues:
    """Form mixin: a parameter given with an empty value is an error."""

    def clean(self):
        cleaned = super().clean()
        getlist = getattr(self.data, "getlist", lambda name: [self.data.get(name)])
        for name in self.fields:
            if name in self.data and any(not (v or "").strip() for v in getlist(name)):
                self.add_error(name, "Empty: give a value, or leave the parameter out.")
        return cleaned


class StrictFilterSet(django_filters.FilterSet):
    """The base of every API list's filters: empty values are errors."""

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (_NoEmptyValues, form_class), {})
