"""What the synthesized stack deploys, checked against the route table and the table specs
it is built from."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_harness import (
    Synthesized,
    as_list,
    dynamodb_grants,
    expected_grants,
    function_ids,
    role_statements,
    target_of,
)

from infra.bundling import PLATFORMS, PYTHON_VERSION
from infra.routes import AUTHORIZER, FUNCTIONS, ROUTES, SCHEDULES, STREAM_CONSUMERS
from infra.stack import POLLER, POLLER_FAILING_RUNS_TO_ALARM, REDIRECT
from jobtrail.store.tables import TABLES

STREAM_READ = {"dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"}


def test_every_function_runs_its_handler_on_the_chosen_runtime(synthesized: Synthesized) -> None:
    # Given the route table's functions
    expected = {
        function.handler: (function.memory_mb, function.timeout_seconds)
        for function in FUNCTIONS.values()
    }

    # When the stack is synthesized
    functions = synthesized.of_type("AWS::Lambda::Function")

    # Then there is exactly one Lambda per function, each with its handler and sizes
    assert len(functions) == len(FUNCTIONS)
    actual = {
        resource["Properties"]["Handler"]: (
            resource["Properties"]["MemorySize"],
            resource["Properties"]["Timeout"],
        )
        for resource in functions.values()
    }
    assert actual == expected
    for resource in functions.values():
        assert resource["Properties"]["Runtime"] == f"python{PYTHON_VERSION}"
        assert resource["Properties"]["Architectures"][0] in PLATFORMS


def test_every_function_runs_the_same_code_asset(synthesized: Synthesized) -> None:
    # Given the functions
    functions = synthesized.of_type("AWS::Lambda::Function").values()

    # When their code locations are compared
    assets = {
        (str(f["Properties"]["Code"]["S3Bucket"]), f["Properties"]["Code"]["S3Key"])
        for f in functions
    }

    # Then one asset is uploaded once and shared
    assert len(assets) == 1


def test_every_function_logs_json_to_its_own_log_group_with_retention(
    synthesized: Synthesized,
) -> None:
    # Given the functions and the log groups
    functions = synthesized.of_type("AWS::Lambda::Function").values()
    log_groups = synthesized.of_type("AWS::Logs::LogGroup")

    # When their logging settings are read
    configs = [f["Properties"]["LoggingConfig"] for f in functions]

    # Then logs are JSON, one log group per function, and every log group expires
    assert {config["LogFormat"] for config in configs} == {"JSON"}
    assert {config["ApplicationLogLevel"] for config in configs} == {"INFO"}
    groups = [target_of(config["LogGroup"]) for config in configs]
    assert len(set(groups)) == len(FUNCTIONS)
    for logical_id, log_group in log_groups.items():
        assert log_group["Properties"].get("RetentionInDays", 0) > 0, logical_id


def test_every_function_is_traced_even_without_tracer_in_process(
    synthesized: Synthesized,
) -> None:
    # Given the redirect, which does not import Tracer
    assert not FUNCTIONS["redirect"].uses_tracer

    # When the functions' tracing settings are read
    modes = {
        name: synthesized.properties(logical_id)["TracingConfig"]["Mode"]
        for name, logical_id in function_ids(synthesized).items()
    }

    # Then X-Ray traces every function, the redirect included
    assert modes == dict.fromkeys(FUNCTIONS, "Active")


def test_every_function_gets_its_settings_from_the_environment(synthesized: Synthesized) -> None:
    # Given what every function reads from its environment, and what only the poller reads
    expected: dict[str, Any] = {
        "POWERTOOLS_SERVICE_NAME": "jobtrail",
        "POWERTOOLS_METRICS_NAMESPACE": "jobtrail",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "CLICK_RETENTION_DAYS": "400",
        "SHORT_BASE_URL": {"Fn::GetAtt": [Match.any_value(), "ApiEndpoint"]},
        **{spec.env_var: {"Ref": spec.logical_id} for spec in TABLES},
    }
    poller_only = {
        "X_API_BASE_URL": "https://api.x.com",
        "BLUESKY_API_BASE_URL": "https://bsky.social",
        "X_MAX_REQUESTS_PER_RUN": "50",
        "X_BEARER_TOKEN_SECRET": {"Ref": Match.string_like_regexp("XBearerToken")},
        "BLUESKY_SECRET": {"Ref": Match.string_like_regexp("BlueskyLogin")},
    }
    redirect_only = {"VISITOR_SECRET_ARN": {"Ref": Match.string_like_regexp("VisitorSecret")}}
    only = {POLLER: poller_only, REDIRECT: redirect_only}

    # When the stack is synthesized with no context set
    # Then each function finds the tables, the API's own URL as short base and 400 days, and
    # only the poller finds the networks' base URLs, its request budget and its secrets, and
    # only the redirect where its visitor secret is
    for name in FUNCTIONS:
        variables = {**expected, **only.get(name, {})}
        synthesized.template.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "Handler": FUNCTIONS[name].handler,
                "Environment": {"Variables": Match.object_equals(variables)},
            },
        )


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.logical_id)
def test_tables_are_on_demand_recoverable_encrypted_and_kept(
    synthesized: Synthesized, spec: Any
) -> None:
    # Given a table of the store
    # When the stack is synthesized
    table = synthesized.resources[spec.logical_id]

    # Then it has no capacity to plan, can be restored, is encrypted and outlives the stack
    assert table["Type"] == "AWS::DynamoDB::Table"
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True


@pytest.mark.parametrize("spec", TABLES, ids=lambda spec: spec.logical_id)
def test_tables_expire_and_stream_items_as_the_store_says(
    synthesized: Synthesized, spec: Any
) -> None:
    # Given a table's TTL attribute and stream view (from its models)
    # When the stack is synthesized
    properties = synthesized.properties(spec.logical_id)

    # Then DynamoDB deletes expired items by that attribute, and streams what the spec says
    if spec.ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {
            "AttributeName": spec.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in properties
    if spec.stream_view_type:
        assert properties["StreamSpecification"] == {"StreamViewType": spec.stream_view_type}
    else:
        assert "StreamSpecification" not in properties


def _routes_by_key(synthesized: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        route["Properties"]["RouteKey"]: route["Properties"]
        for route in synthesized.of_type("AWS::ApiGatewayV2::Route").values()
    }


def _key(method: str, path: str) -> str:
    return path if path == "$default" else f"{method} {path}"


def test_every_route_reaches_its_function(synthesized: Synthesized) -> None:
    # Given the route table
    functions = function_ids(synthesized)
    expected = {_key(route.method, route.path): functions[route.function] for route in ROUTES}

    # When each route's integration is followed to its Lambda
    actual = {}
    for key, route in _routes_by_key(synthesized).items():
        _, parts = route["Target"]["Fn::Join"]
        integration = synthesized.properties(target_of(parts[1]))
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert integration["PayloadFormatVersion"] == "2.0"
        actual[key] = target_of(integration["IntegrationUri"])

    # Then the API has exactly these routes, each to the right function
    assert actual == expected


def test_only_the_authorized_routes_ask_the_authorizer(synthesized: Synthesized) -> None:
    # Given the routes that need an API key
    authorizer_id = next(iter(synthesized.of_type("AWS::ApiGatewayV2::Authorizer")))
    routes = _routes_by_key(synthesized)

    # When each route's authorization is read
    # Then /api/* asks the authorizer; short links, /health and the catch-all do not
    for route in ROUTES:
        properties = routes[_key(route.method, route.path)]
        if route.authorized:
            assert properties["AuthorizationType"] == "CUSTOM", route
            assert properties["AuthorizerId"] == {"Ref": authorizer_id}, route
        else:
            assert properties.get("AuthorizationType", "NONE") == "NONE", route
            assert "AuthorizerId" not in properties, route


def test_the_authorizer_runs_on_every_request_so_the_api_can_answer_401(
    synthesized: Synthesized,
) -> None:
    # Given the one authorizer
    [authorizer] = synthesized.of_type("AWS::ApiGatewayV2::Authorizer").values()
    properties = authorizer["Properties"]

    # When its settings are read
    uri_parts = properties["AuthorizerUri"]["Fn::Join"][1]
    invoked = [
        target_of(part) for part in uri_parts if isinstance(part, dict) and "Fn::GetAtt" in part
    ]

    # Then it is the authorizer function, with simple answers, no identity source (a request
    # without a key still reaches it) and nothing cached by the gateway
    assert invoked == [function_ids(synthesized)[AUTHORIZER]]
    assert properties["AuthorizerType"] == "REQUEST"
    assert properties["EnableSimpleResponses"] is True
    assert properties["AuthorizerPayloadFormatVersion"] == "2.0"
    assert properties["AuthorizerResultTtlInSeconds"] == 0
    assert not properties.get("IdentitySource")


def test_the_stage_logs_requests_without_addresses(synthesized: Synthesized) -> None:
    # Given the API's stage
    [stage] = synthesized.of_type("AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["AccessLogSettings"]

    # When its access log settings are read
    log_group = synthesized.resources[target_of(settings["DestinationArn"])]

    # Then every request is logged to a log group that expires, and no raw address or user
    # agent of a visitor is kept
    assert stage["Properties"]["StageName"] == "$default"
    assert stage["Properties"]["AutoDeploy"] is True
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] > 0
    assert "$context.requestId" in settings["Format"]
    assert "sourceIp" not in settings["Format"]
    assert "userAgent" not in settings["Format"]


def test_every_function_has_a_role_of_its_own(synthesized: Synthesized) -> None:
    # Given the functions
    # When their roles are compared
    roles = {
        name: target_of(synthesized.properties(logical_id)["Role"])
        for name, logical_id in function_ids(synthesized).items()
    }

    # Then no two functions share a role, and no role carries a managed policy
    assert len(set(roles.values())) == len(FUNCTIONS)
    for role in roles.values():
        assert not synthesized.properties(role).get("ManagedPolicyArns")


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_role_grants_exactly_the_table_actions_of_its_function(
    synthesized: Synthesized, name: str
) -> None:
    # Given what the function does on each table, and on a stream when it consumes one
    expected = expected_grants(name)
    for consumer in STREAM_CONSUMERS:
        if consumer.function == name:
            expected[f"{consumer.table}.StreamArn"] = set(STREAM_READ)
            expected["*"] = {"dynamodb:ListStreams"}

    # When the role's policies are read
    logical_id = function_ids(synthesized)[name]
    grants = dynamodb_grants(role_statements(synthesized, logical_id))

    # Then it may do that and nothing else on DynamoDB
    assert grants == expected


@pytest.mark.parametrize(
    ("name", "grants"),
    [
        (
            "redirect",
            {
                "MainTable": {"dynamodb:GetItem"},
                "MainTable[SALT#*]": {"dynamodb:PutItem"},
                "EventsTable": {"dynamodb:PutItem"},
            },
        ),
        (
            "housekeeping",
            {"MainTable[SALT#*]": {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"}},
        ),
    ],
)
def test_the_roles_that_touch_salts_may_write_no_other_item(
    synthesized: Synthesized, name: str, grants: dict[str, set[str]]
) -> None:
    # Given a function that writes the main table only to make or forget a day's salt
    # When its role is read
    granted = dynamodb_grants(role_statements(synthesized, function_ids(synthesized)[name]))

    # Then its writes there are allowed on salt items only (their partition key SALT#<day>),
    # so a bug or a stolen role cannot put or delete a link, a key or a counter
    assert granted == grants


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_role_writes_only_to_its_own_log_group(synthesized: Synthesized, name: str) -> None:
    # Given the function's log group
    logical_id = function_ids(synthesized)[name]
    log_group = target_of(synthesized.properties(logical_id)["LoggingConfig"]["LogGroup"])

    # When the role's log permissions are read
    log_resources = [
        resource
        for statement in role_statements(synthesized, logical_id)
        if any(action.startswith("logs:") for action in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"])
    ]

    # Then it writes there and nowhere else
    assert [target_of(resource) for resource in log_resources] == [log_group]


@pytest.mark.parametrize("consumer", STREAM_CONSUMERS, ids=lambda consumer: consumer.function)
def test_a_failing_stream_batch_is_retried_a_bounded_time_then_set_aside(
    synthesized: Synthesized, consumer: Any
) -> None:
    # Given a stream consumer of the route table
    function_id = function_ids(synthesized)[consumer.function]

    # When its event source mapping is read
    [mapping] = [
        resource["Properties"]
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if target_of(resource["Properties"]["FunctionName"]) == function_id
    ]

    # Then it reads the table's stream from the start, splits failing batches, retries a
    # bounded number of times and age, lets the function report single failed records, and
    # sends what still fails to a queue
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": [consumer.table, "StreamArn"]}
    assert mapping["BatchSize"] == consumer.batch_size
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert 0 < mapping["MaximumRetryAttempts"] <= 10
    assert 0 < mapping["MaximumRecordAgeInSeconds"] <= 24 * 3600
    # and one batch of a shard at a time, with the shard named in each event (a window)
    assert mapping["ParallelizationFactor"] == 1
    assert mapping.get("TumblingWindowInSeconds", 0) == consumer.window_seconds
    queue = target_of(mapping["DestinationConfig"]["OnFailure"]["Destination"])
    assert synthesized.resources[queue]["Type"] == "AWS::SQS::Queue"


@pytest.mark.parametrize("consumer", STREAM_CONSUMERS, ids=lambda consumer: consumer.function)
def test_a_set_aside_batch_is_kept_encrypted_and_raises_an_alarm(
    synthesized: Synthesized, consumer: Any
) -> None:
    # Given the failure queue of a stream consumer
    function_id = function_ids(synthesized)[consumer.function]
    [queue] = [
        target_of(resource["Properties"]["DestinationConfig"]["OnFailure"]["Destination"])
        for resource in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if target_of(resource["Properties"]["FunctionName"]) == function_id
    ]

    # When the queue, its policy and the alarms are read
    properties = synthesized.properties(queue)
    policies = [
        policy["Properties"]["PolicyDocument"]["Statement"]
        for policy in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in policy["Properties"]["Queues"]
    ]
    alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and target_of(alarm["Properties"]["Dimensions"][0]["Value"]) == queue
    ]

    # Then it is encrypted, refuses plain HTTP, keeps messages for days and alarms on the first
    assert properties.get("SqsManagedSseEnabled") or properties.get("KmsMasterKeyId")
    assert properties["MessageRetentionPeriod"] >= 4 * 24 * 3600
    assert any(
        statement["Effect"] == "Deny"
        and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for statements in policies
        for statement in statements
    )
    assert [(alarm["MetricName"], alarm["Threshold"]) for alarm in alarms] == [
        ("ApproximateNumberOfMessagesVisible", 0)
    ]
    assert alarms[0]["ComparisonOperator"] == "GreaterThanThreshold"


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda schedule: schedule.function)
def test_a_scheduled_function_runs_on_its_schedule_and_alarms_when_it_fails(
    synthesized: Synthesized, schedule: Any
) -> None:
    # Given a schedule of the route table
    function_id = function_ids(synthesized)[schedule.function]

    # When the rules, the permissions and the alarms are read
    rules = {
        logical_id: rule["Properties"]
        for logical_id, rule in synthesized.of_type("AWS::Events::Rule").items()
        if any(target_of(target["Arn"]) == function_id for target in rule["Properties"]["Targets"])
    }
    permissions = [
        permission["Properties"]
        for permission in synthesized.of_type("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "events.amazonaws.com"
        and target_of(permission["Properties"]["FunctionName"]) == function_id
    ]
    error_alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == "Errors"
        and alarm["Properties"]["Dimensions"]
        == [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    ]

    # Then EventBridge invokes it on that schedule (and may), and errors raise an alarm: the
    # first one, or for the poller, whose next run retries a failed one, errors in each of
    # its last runs' periods
    assert [rule["ScheduleExpression"] for rule in rules.values()] == [schedule.expression]
    assert [target_of(p["SourceArn"]) for p in permissions] == list(rules)
    assert len(error_alarms) == 1
    assert error_alarms[0]["Namespace"] == "AWS/Lambda"
    assert error_alarms[0]["Statistic"] == "Sum"
    assert error_alarms[0]["Threshold"] == 0
    assert error_alarms[0]["ComparisonOperator"] == "GreaterThanThreshold"
    if schedule.function == POLLER:
        assert error_alarms[0]["Period"] == schedule.seconds
        assert error_alarms[0]["EvaluationPeriods"] == POLLER_FAILING_RUNS_TO_ALARM
        assert error_alarms[0]["DatapointsToAlarm"] == POLLER_FAILING_RUNS_TO_ALARM
    else:
        assert error_alarms[0]["EvaluationPeriods"] == 1


def test_the_stack_tells_where_the_api_and_the_tables_are(synthesized: Synthesized) -> None:
    # Given the deployed stack's outputs
    outputs = synthesized.outputs

    # When a user looks for the URL and the table names
    # Then they are there
    assert "ApiUrl" in outputs
    assert outputs["ShortBaseUrl"]["Value"] == {
        "Fn::GetAtt": [target_of(outputs["ShortBaseUrl"]["Value"]), "ApiEndpoint"]
    }
    for spec in TABLES:
        assert outputs[f"{spec.logical_id}Name"]["Value"] == {"Ref": spec.logical_id}


@pytest.mark.parametrize(
    "metric", ["clicks_not_recorded", "link_lookups_failed", "click_records_failed"]
)
def test_a_lost_or_uncounted_click_raises_an_alarm(synthesized: Synthesized, metric: str) -> None:
    # When the alarms are read
    alarms = [
        alarm["Properties"]
        for alarm in synthesized.of_type("AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("MetricName") == metric
    ]
    # Then the functions' own metric, counted by the service, alarms on its first count
    assert len(alarms) == 1
    assert alarms[0]["Namespace"] == "jobtrail"
    assert alarms[0]["Dimensions"] == [{"Name": "service", "Value": "jobtrail"}]
    assert alarms[0]["Threshold"] == 0
