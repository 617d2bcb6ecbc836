"""Shoene's OpenFeature provider, through OpenFeature's own feature_client.

The scenarios follow the specification's evaluation suites (the SDK's gherkin
``evaluation.feature`` and the provider conformance suite's ``evaluation``, ``errors`` and
``reason`` features): resolved value, variant and reason; no error code or message on success;
the caller's default, reason ERROR and the error code on failure; never an exception.
"""

from datetime import date

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group
from openfeature import api
from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode, FlagNotFoundError
from openfeature.flag_evaluation import FlagEvaluationOptions, Reason
from openfeature.hook import Hook
from prometheus_client import REGISTRY
from waffle.models import Switch

from config.observability.metrics import metrics_publish
from flags import registry
from flags.models import Experiment, Exposure, Flag, Variant
from flags.openfeature_provider import ShoeneProvider
from flags.testutils import override_provider
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def feature_client():
    """OpenFeature's client, with a fresh Shoene provider behind it."""
    with override_provider(ShoeneProvider()):
        yield api.get_client()


@pytest.fixture
def typed_flags(monkeypatch):
    """Typed registry flags of each kind besides recommendation_framing (a string)."""
    extra = tuple(
        registry.FlagSpec(
            name=name,
            description="test",
            owner="test",
            kind="experiment",
            expires=date(2099, 1, 1),
            value_type=value_type,
            default=default,
        )
        for name, value_type, default in (
            ("tips_per_page", "number", 3),
            ("savings_goal_ratio", "number", 0.1),
            ("tips_card", "object", {"title": "Winter tips", "items": 3}),
        )
    )
    monkeypatch.setattr(registry, "FLAGS", registry.FLAGS + extra)


def context_for(user, **attributes) -> EvaluationContext:
    return EvaluationContext(targeting_key=str(user.pk), attributes=attributes)


def experiment_create(key, variants, *, traffic_percent=100, groups=(), regions=()):
    experiment = Experiment.objects.create(
        key=key,
        name=key,
        hypothesis="test",
        owner="test",
        primary_metric="done_rate",
        status="running",
        traffic_percent=traffic_percent,
    )
    for position, (variant_key, weight, value) in enumerate(variants):
        Variant.objects.create(
            experiment=experiment,
            key=variant_key,
            name=variant_key,
            weight=weight,
            value=value,
            position=position,
        )
    experiment.target_groups.set(groups)
    experiment.target_regions.set(regions)
    return experiment


def assert_success(details, *, value, reason, variant):
    assert (details.value, details.reason, details.variant) == (value, reason, variant)
    assert details.error_code is None
    assert details.error_message is None


def assert_error(details, *, default, code):
    assert details.value == default
    assert details.reason == Reason.ERROR
    assert details.error_code == code
    assert details.variant is None


# --- the provider -------------------------------------------------------------------------------


def test_the_provider_names_itself_shoene(feature_client):
    assert api.get_provider_metadata().name == "shoene"
    assert feature_client.provider.get_metadata().name == "shoene"


def test_the_portal_s_provider_is_registered_at_start_up():
    assert isinstance(api.get_client().provider, ShoeneProvider)


# --- boolean flags ------------------------------------------------------------------------------


def test_a_flag_on_for_everyone_is_static(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    details = feature_client.get_boolean_details("portal_winter_tips", False)
    assert_success(details, value=True, reason=Reason.STATIC, variant="on")
    assert details.flag_key == "portal_winter_tips"
    assert details.flag_metadata == {"source": "flag"}


def test_a_flag_off_for_everyone_is_disabled_and_false_whatever_the_default(feature_client):
    """Waffle's "off for everyone" is a value, not the code default: a falsy value is a value."""
    Flag.objects.create(name="portal_winter_tips", everyone=False)
    details = feature_client.get_boolean_details("portal_winter_tips", True)
    assert_success(details, value=False, reason=Reason.DISABLED, variant="off")


def test_a_flag_without_rules_is_the_default_off(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=None)
    user = factories.UserFactory()
    details = feature_client.get_boolean_details("portal_winter_tips", True, context_for(user))
    assert_success(details, value=False, reason=Reason.DEFAULT, variant="off")


def test_a_group_targeted_flag_matches_members_only(feature_client, django_assert_num_queries):
    testers = Group.objects.create(name="testers")
    flag = Flag.objects.create(name="portal_winter_tips", everyone=None)
    flag.groups.add(testers)
    member = factories.UserFactory(groups=["testers"])
    other = factories.UserFactory()

    details = feature_client.get_boolean_details("portal_winter_tips", False, context_for(member))
    assert_success(details, value=True, reason=Reason.TARGETING_MATCH, variant="on")
    details = feature_client.get_boolean_details("portal_winter_tips", False, context_for(other))
    assert_success(details, value=False, reason=Reason.DEFAULT, variant="off")

    # Group ids in the context cost no query; without them the provider reads them (one).
    with django_assert_num_queries(0):
        context = context_for(member, group_ids=[testers.pk])
        assert feature_client.get_boolean_value("portal_winter_tips", False, context) is True
        context = context_for(other, group_ids=[])
        assert feature_client.get_boolean_value("portal_winter_tips", False, context) is False
    with django_assert_num_queries(1):
        assert feature_client.get_boolean_value("portal_winter_tips", False, context_for(member))


def test_staff_superusers_and_languages_come_from_the_context(feature_client):
    Flag.objects.create(name="staff_only", staff=True)
    Flag.objects.create(name="english_only", languages="en")
    user = factories.UserFactory()
    staff = context_for(user, is_staff=True)
    assert (
        feature_client.get_boolean_details("staff_only", False, staff).reason
        == Reason.TARGETING_MATCH
    )
    assert feature_client.get_boolean_value("staff_only", False, context_for(user)) is False
    english = EvaluationContext(attributes={"language": "en"})
    assert feature_client.get_boolean_value("english_only", False, english) is True
    assert feature_client.get_boolean_value("english_only", False, EvaluationContext()) is False


def test_a_half_rollout_splits_users_stably(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=None, percent=50)
    answers = {}
    for user_id in range(1, 1001):
        context = EvaluationContext(targeting_key=str(user_id))
        details = feature_client.get_boolean_details("portal_winter_tips", False, context)
        assert details.reason == Reason.SPLIT
        assert details.variant == ("on" if details.value else "off")
        answers[user_id] = details.value
    assert 450 <= sum(answers.values()) <= 550
    # Sticky: the same user gets the same answer every time (and a new provider agrees).
    with override_provider(ShoeneProvider()):
        again = api.get_client()
        for user_id in (1, 2, 3, 500, 1000):
            context = EvaluationContext(targeting_key=str(user_id))
            for _ in range(3):
                assert (
                    again.get_boolean_value("portal_winter_tips", False, context)
                    is (answers[user_id])
                )


def test_a_rollout_leaves_anonymous_visitors_out(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=None, percent="99.9")
    for context in (EvaluationContext(), None, EvaluationContext(targeting_key="not-a-user-id")):
        details = feature_client.get_boolean_details("portal_winter_tips", False, context)
        assert_success(details, value=False, reason=Reason.DEFAULT, variant="off")


def test_a_switch_is_static(feature_client):
    Switch.objects.create(name="meter_gateway_open", active=True)
    Switch.objects.create(name="bill_emails", active=False)
    details = feature_client.get_boolean_details("meter_gateway_open", False)
    assert_success(details, value=True, reason=Reason.STATIC, variant="on")
    assert details.flag_metadata == {"source": "switch"}
    details = feature_client.get_boolean_details("bill_emails", True)
    assert_success(details, value=False, reason=Reason.STATIC, variant="off")


def test_a_registry_flag_not_yet_in_the_database_is_its_default(feature_client):
    assert not Flag.objects.filter(name="portal_winter_tips").exists()
    details = feature_client.get_boolean_details("portal_winter_tips", True)
    assert_success(details, value=False, reason=Reason.DEFAULT, variant="default")
    assert details.flag_metadata == {"source": "registry"}


# --- typed values and experiments ---------------------------------------------------------------


def test_an_experiment_gives_the_variant_and_records_the_exposure_once(feature_client):
    experiment = experiment_create("recommendation_framing", [("kwh", 1, "kwh")])
    user = factories.UserFactory()
    exposures = (
        "shoene_experiment_exposures_total",
        {"experiment": "recommendation_framing", "variant": "kwh"},
    )
    evaluations = (
        "shoene_flag_evaluations_total",
        {"flag": "recommendation_framing", "value": "kwh"},
    )
    metrics_publish()
    before = [REGISTRY.get_sample_value(*metric) or 0 for metric in (exposures, evaluations)]
    for _ in range(3):
        details = feature_client.get_string_details(
            "recommendation_framing", "yen", context_for(user)
        )
        assert_success(details, value="kwh", reason=Reason.SPLIT, variant="kwh")
        assert details.flag_metadata == {
            "source": "experiment",
            "experiment_key": "recommendation_framing",
            "experiment_id": experiment.pk,
        }
    exposure = Exposure.objects.get(experiment=experiment)
    assert (exposure.user, exposure.variant.key) == (user, "kwh")
    metrics_publish()  # as after every request and task
    after = [REGISTRY.get_sample_value(*metric) for metric in (exposures, evaluations)]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3]  # exposed once, served 3


def test_variants_split_users_stably(feature_client):
    experiment_create("recommendation_framing", [("yen", 0.5, "yen"), ("kwh", 0.5, "kwh")])
    users = [factories.UserFactory() for _ in range(20)]
    seen = {}
    for user in users:
        details = feature_client.get_string_details(
            "recommendation_framing", "yen", context_for(user)
        )
        assert details.reason == Reason.SPLIT and details.value == details.variant
        seen[user.pk] = details.value
        again = feature_client.get_string_value("recommendation_framing", "yen", context_for(user))
        assert again == details.value
    assert set(seen.values()) == {"yen", "kwh"}
    assert Exposure.objects.count() == len(users)


def test_outside_the_experiment_s_traffic_is_the_registry_default(feature_client):
    experiment = experiment_create("recommendation_framing", [("kwh", 1, "kwh")], traffic_percent=0)
    user = factories.UserFactory()
    details = feature_client.get_string_details(
        "recommendation_framing", "neighbours", context_for(user)
    )
    assert_success(details, value="yen", reason=Reason.DEFAULT, variant="default")
    assert not Exposure.objects.filter(experiment=experiment).exists()


def test_experiment_targeting_reads_groups_and_the_home(feature_client, django_assert_num_queries):
    testers = Group.objects.create(name="testers")
    sapporo = factories.RegionFactory(name="Sapporo")
    experiment_create(
        "recommendation_framing", [("kwh", 1, "kwh")], groups=[testers], regions=[sapporo]
    )
    member = factories.UserFactory(groups=["testers"])
    factories.PremiseFactory(owner=member, region=sapporo)
    feature_client.get_string_value("recommendation_framing", "yen")  # loads the snapshot

    # Without targeting attributes the provider reads groups and the first home (two queries)
    # and records the exposure (one write).
    with django_assert_num_queries(3):
        details = feature_client.get_string_details(
            "recommendation_framing", "yen", context_for(member)
        )
    assert (details.value, details.reason) == ("kwh", Reason.SPLIT)
    # Given in the context they cost nothing; another region is outside the experiment.
    with django_assert_num_queries(0):
        elsewhere = context_for(member, group_ids=[testers.pk], region_id=sapporo.pk + 1)
        details = feature_client.get_string_details("recommendation_framing", "yen", elsewhere)
    assert (details.value, details.reason) == ("yen", Reason.DEFAULT)


def test_numbers_and_objects_from_the_registry(feature_client, typed_flags):
    details = feature_client.get_integer_details("tips_per_page", 1)
    assert_success(details, value=3, reason=Reason.DEFAULT, variant="default")
    details = feature_client.get_float_details("savings_goal_ratio", 0.5)
    assert_success(details, value=0.1, reason=Reason.DEFAULT, variant="default")
    details = feature_client.get_object_details("tips_card", {})
    expected = {"title": "Winter tips", "items": 3}
    assert_success(details, value=expected, reason=Reason.DEFAULT, variant="default")


def test_numbers_and_objects_from_variants(feature_client, typed_flags):
    experiment_create("tips_per_page", [("five", 1, 5)])
    experiment_create("savings_goal_ratio", [("quarter", 1, 0.25)])
    experiment_create("tips_card", [("short", 1, {"title": "Three tips", "items": [1, 2, 3]})])
    context = context_for(factories.UserFactory())
    details = feature_client.get_integer_details("tips_per_page", 1, context)
    assert_success(details, value=5, reason=Reason.SPLIT, variant="five")
    details = feature_client.get_float_details("savings_goal_ratio", 0.1, context)
    assert_success(details, value=0.25, reason=Reason.SPLIT, variant="quarter")
    details = feature_client.get_object_details("tips_card", {}, context)
    expected = {"title": "Three tips", "items": [1, 2, 3]}
    assert_success(details, value=expected, reason=Reason.SPLIT, variant="short")


def test_an_object_value_is_the_caller_s_own_copy(feature_client, typed_flags):
    card = feature_client.get_object_value("tips_card", {})
    card["title"] = "changed by the caller"
    assert feature_client.get_object_value("tips_card", {})["title"] == "Winter tips"


def test_numbers_convert_only_without_loss(feature_client, typed_flags):
    """The conformance suite: an integer is a float, 10.0 is an integer, 0.5 is no integer."""
    context = context_for(factories.UserFactory())
    assert feature_client.get_float_details("tips_per_page", 1.0, context).value == 3.0
    experiment_create("savings_goal_ratio", [("whole", 1, 10.0)])
    details = feature_client.get_integer_details("savings_goal_ratio", 1, context)
    assert_success(details, value=10, reason=Reason.SPLIT, variant="whole")
    assert type(details.value) is int


def test_a_falsy_variant_is_a_value(feature_client, typed_flags):
    experiment_create("tips_per_page", [("none", 1, 0)])
    details = feature_client.get_integer_details(
        "tips_per_page", 4, context_for(factories.UserFactory())
    )
    assert_success(details, value=0, reason=Reason.SPLIT, variant="none")


def test_a_context_does_not_disturb_an_untargeted_resolution(feature_client):
    """The conformance suite's targeting key is a UUID: an anonymous unit here, no error."""
    context = EvaluationContext(targeting_key="f20bd32d-703b-48b6-bc8e-79d53c85134a")
    details = feature_client.get_string_details("recommendation_framing", "bye", context)
    assert_success(details, value="yen", reason=Reason.DEFAULT, variant="default")


# --- errors: the caller's default, reason ERROR, an error code, never an exception ------------


@pytest.mark.parametrize(
    "method, default",
    [
        ("get_boolean_details", True),
        ("get_string_details", "fallback"),
        ("get_integer_details", 13),
        ("get_float_details", 0.1),
        ("get_object_details", {"fallback": True}),
    ],
)
def test_a_missing_flag_is_the_caller_s_default(feature_client, method, default):
    details = getattr(feature_client, method)("missing-flag", default, EvaluationContext("1"))
    assert_error(details, default=default, code=ErrorCode.FLAG_NOT_FOUND)
    assert details.error_message == "No flag 'missing-flag'."


def test_a_type_mismatch_is_the_caller_s_default(feature_client, typed_flags):
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    Switch.objects.create(name="meter_gateway_open", active=True)
    experiment_create("tips_per_page", [("half", 1, 0.5)])
    context = context_for(factories.UserFactory())
    cases = [
        # (the call, the caller's default)
        (lambda d: feature_client.get_string_details("portal_winter_tips", d, context), "fallback"),
        (lambda d: feature_client.get_integer_details("portal_winter_tips", d, context), 1),
        (lambda d: feature_client.get_float_details("meter_gateway_open", d, context), 0.1),
        (lambda d: feature_client.get_boolean_details("recommendation_framing", d, context), False),
        (lambda d: feature_client.get_integer_details("recommendation_framing", d, context), 13),
        (lambda d: feature_client.get_object_details("recommendation_framing", d, context), {}),
        (lambda d: feature_client.get_string_details("tips_card", d, context), "fallback"),
        # A variant of 0.5 is not narrowed to an integer, and no bool is a number.
        (lambda d: feature_client.get_integer_details("tips_per_page", d, context), 1),
    ]
    for call, default in cases:
        details = call(default)
        assert_error(details, default=default, code=ErrorCode.TYPE_MISMATCH)
    details = feature_client.get_integer_details("tips_per_page", 1, context)
    assert details.error_message == "Flag 'tips_per_page' is number, not integer."
    # The unit was never served the variant it could not read: no exposure.
    assert not Exposure.objects.exists()


def test_a_variant_string_asked_as_an_integer_is_a_mismatch(feature_client):
    experiment_create("recommendation_framing", [("kwh", 1, "kwh")])
    details = feature_client.get_integer_details(
        "recommendation_framing", 13, context_for(factories.UserFactory())
    )
    assert_error(details, default=13, code=ErrorCode.TYPE_MISMATCH)


class RecordingHook(Hook):
    def __init__(self, fail_before=False):
        self.calls = []
        self.fail_before = fail_before

    def before(self, hook_context, hints):
        self.calls.append("before")
        if self.fail_before:
            raise RuntimeError("a broken hook")

    def after(self, hook_context, details, hints):
        self.calls.append(("after", details.value, details.reason))

    def error(self, hook_context, exception, hints):
        self.calls.append(("error", type(exception)))

    def finally_after(self, hook_context, details, hints):
        self.calls.append(("finally", details.value, details.reason))


def test_hooks_see_success_and_errors(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    hook = RecordingHook()
    options = FlagEvaluationOptions(hooks=[hook])
    feature_client.get_boolean_details("portal_winter_tips", False, None, options)
    assert hook.calls == [
        "before",
        ("after", True, Reason.STATIC),
        ("finally", True, Reason.STATIC),
    ]

    hook.calls.clear()
    feature_client.get_boolean_details("missing-flag", True, None, options)
    assert hook.calls == ["before", ("error", FlagNotFoundError), ("finally", True, Reason.ERROR)]


def test_a_failing_hook_never_raises_to_the_caller(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    feature_client.add_hooks([RecordingHook(fail_before=True)])
    details = feature_client.get_boolean_details("portal_winter_tips", False)
    assert_error(details, default=False, code=ErrorCode.GENERAL)


def test_the_async_client_evaluates_the_same(feature_client):
    Flag.objects.create(name="portal_winter_tips", everyone=True)
    experiment_create("recommendation_framing", [("kwh", 1, "kwh")])
    user = factories.UserFactory()
    details = async_to_sync(feature_client.get_boolean_details_async)("portal_winter_tips", False)
    assert_success(details, value=True, reason=Reason.STATIC, variant="on")
    details = async_to_sync(feature_client.get_string_details_async)(
        "recommendation_framing", "yen", context_for(user)
    )
    assert_success(details, value="kwh", reason=Reason.SPLIT, variant="kwh")
    assert Exposure.objects.filter(user=user).count() == 1


def test_a_warm_provider_reads_nothing(feature_client, django_assert_num_queries):
    Flag.objects.create(name="portal_winter_tips", everyone=None, percent=50)
    experiment_create("recommendation_framing", [("kwh", 1, "kwh")])
    user = factories.UserFactory()
    feature_client.get_string_value("recommendation_framing", "yen", context_for(user))
    with django_assert_num_queries(0):
        for _ in range(10):
            feature_client.get_boolean_value("portal_winter_tips", False, context_for(user))
            feature_client.get_string_value("recommendation_framing", "yen", context_for(user))
