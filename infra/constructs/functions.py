"""The Lambda functions of ``FUNCTIONS``, each with its own role, log group and settings."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.bundling import ARCHITECTURE, RUNTIME
from infra.constructs.nag import acknowledge
from infra.constructs.names import pascal
from infra.constructs.tables import Tables
from infra.routes import FUNCTIONS, STREAM_CONSUMERS, Function
from jobtrail.config import METRICS_NAMESPACE, SERVICE_NAME

LOG_LEVEL = "INFO"


def powertools_environment() -> dict[str, str]:
    return {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
    }


_RUNTIME_REASON = (
    f"{RUNTIME.name} on purpose, not the newest Python: the shared asset is built from "
    f"wheels for exactly this version (infra/bundling.py), the one the dependencies are "
    "tested on; it is supported by Lambda until 2028. Upgrade RUNTIME and PYTHON_VERSION there "
    "together, after the tests pass on the new version."
)


def _wildcard_reason(function: Function) -> str:
    needs = ["X-Ray's PutTraceSegments and PutTelemetryRecords (active tracing)"]
    if any(consumer.function == function.name for consumer in STREAM_CONSUMERS):
        needs.append("dynamodb:ListStreams, which Lambda's stream poller calls")
    return (
        f"Resource '*' only for {' and '.join(needs)}: these actions accept no resource ARN. "
        "Every DynamoDB table action of this role is scoped to its table."
    )


class Functions(Construct):
    """One function per ``FUNCTIONS`` entry, all running the one shared code asset.

    Each role grants the function's ``table_actions`` on its tables and nothing else on
    DynamoDB (those of its ``key_scopes`` only on the items whose partition key they name);
    writing to its own log group; and X-Ray. Stream reads and the failure queue are granted
    by the event source that needs them, a secret by whoever passes it.

    ``environment`` reaches every function; ``function_environment`` adds settings only one
    function reads (the poller's secrets and API base URLs), by function name.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        tables: Tables,
        environment: Mapping[str, str],
        log_retention: logs.RetentionDays,
        function_environment: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        function_environment = function_environment or {}
        unknown = set(function_environment) - set(FUNCTIONS)
        if unknown:
            raise ValueError(f"environment for functions that do not exist: {sorted(unknown)}")
        self.by_name: dict[str, lambda_.Function] = {}
        self.roles: dict[str, iam.Role] = {}
        shared_environment = {**powertools_environment(), **tables.environment(), **environment}
        for function in FUNCTIONS.values():
            name = pascal(function.name)
            role = iam.Role(
                self,
                f"{name}Role",
                assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"jobtrail {function.name} function: only what it uses",
            )
            for table_id, actions in function.table_actions.items():
                table = tables.by_logical_id[table_id]
                scope = function.key_scopes.get(table_id)
                scoped = scope.actions if scope else ()
                if set(scoped) - set(actions):
                    raise ValueError(f"{function.name}: key scope of actions it is not granted")
                anywhere = [action for action in actions if action not in scoped]
                if anywhere:
                    table.grant(role, *anywhere)
                if scope is not None:
                    role.add_to_principal_policy(
                        iam.PolicyStatement(
                            actions=list(scope.actions),
                            resources=[table.table_arn],
                            conditions={
                                "ForAllValues:StringLike": {
                                    "dynamodb:LeadingKeys": list(scope.leading_keys)
                                }
                            },
                        )
                    )
            log_group = logs.LogGroup(self, f"{name}Logs", retention=log_retention)
            log_group.grant_write(role)
            self.by_name[function.name] = lambda_.Function(
                self,
                name,
                description=function.description,
                code=code,
                handler=function.handler,
                runtime=RUNTIME,
                architecture=ARCHITECTURE,
                memory_size=function.memory_mb,
                timeout=Duration.seconds(function.timeout_seconds),
                role=role,
                environment={
                    **shared_environment,
                    **function_environment.get(function.name, {}),
                },
                log_group=log_group,
                logging_format=lambda_.LoggingFormat.JSON,
                # The same level as Powertools', so Lambda's filter never hides its lines.
                application_log_level_v2=lambda_.ApplicationLogLevel[LOG_LEVEL],
                system_log_level_v2=lambda_.SystemLogLevel.WARN,
                # Also for functions without Tracer in-process (the redirect): the segment
                # Lambda writes still shows each invocation's duration and cold starts.
                tracing=lambda_.Tracing.ACTIVE,
            )
            acknowledge(self.by_name[function.name], "AwsSolutions-L1", _RUNTIME_REASON)
            acknowledge(
                role.node.find_child("DefaultPolicy"),
                "AwsSolutions-IAM5[Resource::*]",
                _wildcard_reason(function),
            )
            self.roles[function.name] = role
