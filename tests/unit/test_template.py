"""The security properties of the SAM stack that a reviewer relies on, read from template.yaml.

Intrinsic functions are not resolved here: ``Fn::If`` is followed into both branches (every
deployment choice must be safe), and references are checked by the logical ids they name.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scriba import layout
from scriba.config import Settings
from scriba.local.template import ACCOUNT, REGION, load_stack, read_template
from tests.iam import Permission, Role, bedrock_invocation

ROOT = Path(__file__).resolve().parents[2]

# Actions whose services support no narrower resource than "*" (Service Authorization Reference),
# the only ones a role may allow on every resource.
UNSCOPABLE_ACTIONS = frozenset(
    {
        "textract:DetectDocumentText",
        "textract:AnalyzeDocument",
        "textract:StartDocumentTextDetection",
        "textract:StartDocumentAnalysis",
        "textract:GetDocumentTextDetection",
        "textract:GetDocumentAnalysis",
        "comprehend:DetectDominantLanguage",
        "comprehend:BatchDetectDominantLanguage",
        "rekognition:DetectLabels",
        "translate:TranslateText",
        "polly:SynthesizeSpeech",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
)

# Which services each function may reach at all (besides its logs, X-Ray and the stack's key).
SERVICES_BY_FUNCTION = {
    "StartFunction": {"sqs", "s3", "states", "dynamodb"},
    "AdmitFunction": {"sqs", "s3", "states", "dynamodb"},
    "ExtractFunction": {"s3", "textract", "comprehend"},
    "TagFunction": {"s3", "rekognition"},
    "SummarizeFunction": {"s3", "bedrock"},
    "TranslateFunction": {"s3", "translate", "comprehend"},
    "SpeakFunction": {"s3", "polly"},
    "FinalizeFunction": {"s3", "events", "states"},
    "SweepFunction": {"s3", "states", "sqs", "events"},
    "BackfillFunction": {"s3", "sqs"},
}
ALWAYS = {"logs", "xray", "kms"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return read_template(ROOT / "template.yaml")


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def branches(value: Any) -> Iterator[Any]:
    """Every value ``value`` can take: both sides of each Fn::If, AWS::NoValue dropped."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        _, yes, no = value["Fn::If"]
        yield from branches(yes)
        yield from branches(no)
    elif value == {"Ref": "AWS::NoValue"}:
        return
    else:
        yield value


def listed(value: Any) -> list[Any]:
    items: list[Any] = []
    for option in branches(value):
        for item in option if isinstance(option, list) else [option]:
            items.extend(branches(item))
    return items


def names_in(value: Any) -> set[str]:
    """Logical ids and parameters a value refers to (Ref, GetAtt, ${...} in Sub)."""
    text = json.dumps(value)
    refs = set(re.findall(r'"Ref": "([A-Za-z0-9:]+)"', text))
    refs |= set(re.findall(r'"Fn::GetAtt": \["([A-Za-z0-9]+)"', text))
    refs |= {name.split(".")[0] for name in re.findall(r"\$\{([A-Za-z0-9.:]+)\}", text)}
    return refs


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in role["Properties"].get("Policies", []):
        found.extend(listed(policy["PolicyDocument"]["Statement"]))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def functions(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(resources, "AWS::Serverless::Function")


def role_of(resources: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    role = function["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, "roles are the stack's own, by GetAtt"
    found: dict[str, Any] = resources[role["Fn::GetAtt"][0]]
    return found


# -- buckets -------------------------------------------------------------------------------------


def test_every_bucket_is_encrypted_in_every_configuration(resources: dict[str, Any]) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert {"InputBucket", "OutputBucket"} <= set(buckets)
    for name, bucket in buckets.items():
        rules = listed(
            bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        )
        assert rules, name
        for rule in rules:
            default = rule["ServerSideEncryptionByDefault"]
            assert default["SSEAlgorithm"] in ("AES256", "aws:kms"), name
            if default["SSEAlgorithm"] == "aws:kms":
                assert default["KMSMasterKeyID"] == {"Ref": "KmsKeyArn"}, name


def test_kms_is_used_exactly_when_a_key_is_given(resources: dict[str, Any]) -> None:
    for name in ("InputBucket", "OutputBucket"):
        config = resources[name]["Properties"]["BucketEncryption"]
        (choice,) = config["ServerSideEncryptionConfiguration"]
        condition, with_key, without_key = choice["Fn::If"]
        assert condition == "UseKmsKey"
        assert with_key["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
        assert without_key["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_every_bucket_blocks_public_access(resources: dict[str, Any]) -> None:
    for name, bucket in of_type(resources, "AWS::S3::Bucket").items():
        block = bucket["Properties"]["PublicAccessBlockConfiguration"]
        assert block == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        ownership = bucket["Properties"]["OwnershipControls"]["Rules"]
        assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}], name


def test_every_bucket_refuses_plain_http(resources: dict[str, Any]) -> None:
    policies = of_type(resources, "AWS::S3::BucketPolicy")
    for name in of_type(resources, "AWS::S3::Bucket"):
        (policy,) = [p for p in policies.values() if p["Properties"]["Bucket"] == {"Ref": name}]
        denials = [
            s
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
            and s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert len(denials) == 1, name
        (deny,) = denials
        assert deny["Principal"] == "*"
        assert deny["Action"] == "s3:*"
        assert deny["Resource"] == [
            {"Fn::GetAtt": [name, "Arn"]},
            {"Fn::Sub": f"${{{name}.Arn}}/*"},
        ], name


def test_the_input_bucket_is_versioned_and_tells_eventbridge(resources: dict[str, Any]) -> None:
    properties = resources["InputBucket"]["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    bridge = properties["NotificationConfiguration"]["EventBridgeConfiguration"]
    assert bridge == {"EventBridgeEnabled": True}


def test_lifecycle_rules_are_parameters(resources: dict[str, Any]) -> None:
    for name, parameters in {
        "InputBucket": {"NoncurrentVersionExpirationDays", "InputExpirationDays"},
        "OutputBucket": {
            "NoncurrentVersionExpirationDays",
            "WorkExpirationDays",
            "ResultsExpirationDays",
        },
    }.items():
        rules = listed(resources[name]["Properties"]["LifecycleConfiguration"]["Rules"])
        assert parameters <= names_in(rules), name
        assert any("AbortIncompleteMultipartUpload" in rule for rule in rules), name


def test_the_work_prefix_that_expires_is_the_one_the_code_uses(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    rules = listed(resources["OutputBucket"]["Properties"]["LifecycleConfiguration"]["Rules"])
    (work,) = [rule for rule in rules if rule["Id"] == "expire-intermediate-files"]
    assert work["Prefix"] == env["SCRIBA_WORK_PREFIX"] + "/"


# -- roles ---------------------------------------------------------------------------------------


def test_every_function_has_a_role_of_its_own(resources: dict[str, Any]) -> None:
    seen: set[str] = set()
    for name, function in functions(resources).items():
        properties = function["Properties"]
        assert "Policies" not in properties, f"{name}: use its own role, not SAM policies"
        role_id = properties["Role"]["Fn::GetAtt"][0]
        assert resources[role_id]["Type"] == "AWS::IAM::Role"
        assert role_id not in seen, f"{name} shares {role_id}"
        seen.add(role_id)
        role = resources[role_id]["Properties"]
        assert "ManagedPolicyArns" not in role, f"{role_id}: managed policies are not reviewed"
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ], role_id
    assert set(SERVICES_BY_FUNCTION) == set(functions(resources))


def all_roles(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(resources, "AWS::IAM::Role")


def test_no_role_allows_every_action_or_a_whole_service(resources: dict[str, Any]) -> None:
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            assert statement["Effect"] == "Allow", role_id
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{role_id}: {action} is not an action named one by one"


def test_every_resource_wildcard_is_an_unscopable_action(resources: dict[str, Any]) -> None:
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            if "*" not in as_list(statement["Resource"]):
                continue
            assert as_list(statement["Resource"]) == ["*"], role_id
            actions = set(as_list(statement["Action"]))
            assert actions <= UNSCOPABLE_ACTIONS, f"{role_id}: {actions - UNSCOPABLE_ACTIONS}"


def test_scoped_resources_belong_to_this_stack(resources: dict[str, Any]) -> None:
    # Each resource is one of this stack's, or the key, the model and the inventory bucket the
    # stack is given.
    outside = {"KmsKeyArn", "BedrockModelId", "BackfillInventoryBucket"}
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            for resource in as_list(statement["Resource"]):
                if resource == "*":
                    continue
                if own_executions(resources, resource):
                    continue
                referred = names_in(resource)
                assert referred & (set(resources) | outside), f"{role_id}: {resource}"
                if referred & outside:
                    assert not referred & set(resources), f"{role_id}: {resource}"


def own_executions(resources: dict[str, Any], resource: Any) -> bool:
    """The ARN pattern of one of this stack's state machines, or of its executions (built like
    the state machine's name, from the stack's id: a reference to the state machine from a role
    it uses, or from a function it invokes, would be a cycle). A Distributed Map's child
    executions are ``execution:<state machine>/<map run>:<name>``."""
    sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    if not isinstance(sub, list):
        return False
    text, variables = sub
    for machine in of_type(resources, "AWS::Serverless::StateMachine").values():
        name_text, name_variables = machine["Properties"]["Name"]["Fn::Sub"]
        if variables == name_variables and text.endswith(
            (
                f":execution:{name_text}:*",
                f":execution:{name_text}/*",
                f":stateMachine:{name_text}",
            )
        ):
            return True
    return False


def test_finalize_reads_only_its_own_executions_history(resources: dict[str, Any]) -> None:
    role = role_of(resources, functions(resources)["FinalizeFunction"])
    (statement,) = [
        s for s in statements(role) if "states:GetExecutionHistory" in as_list(s["Action"])
    ]
    assert as_list(statement["Action"]) == ["states:GetExecutionHistory"]
    assert all(own_executions(resources, r) for r in as_list(statement["Resource"]))
    assert all(":execution:pipeline-" in r["Fn::Sub"][0] for r in as_list(statement["Resource"]))
    # Resolved, it is the execution ARN pattern of the state machine the stack makes.
    stack = load_stack(ROOT)
    executions = stack.state_machine.arn.replace(":stateMachine:", ":execution:") + ":*"
    finalize = Role.of_function(stack, "FinalizeFunction")
    granted = [s["Resource"] for s in finalize.statements if "GetExecutionHistory" in s["Action"]]
    assert granted == [executions]


STACK_UUID = "4f1e2b30-9a0c-11f0-8de9-0affd1e2c3b4"


def stack_id(name: str) -> str:
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/{STACK_UUID}"


@pytest.mark.parametrize("stack_name", ["s", "scriba", "x" * 71, "x" * 72, "y" * 128])
def test_the_state_machine_name_fits_whatever_the_stack_name(
    template: dict[str, Any], stack_name: str
) -> None:
    # Step Functions names are 1 to 80 characters of [A-Za-z0-9_-]; stack names up to 128.
    # "<stack>-pipeline" failed to deploy for stacks named with more than 71 characters.
    from scriba.local.template import _Resolver

    resolver = _Resolver(template, {})
    resolver.pseudo.update({"AWS::StackName": stack_name, "AWS::StackId": stack_id(stack_name)})
    name = resolver.resolve(template["Resources"]["PipelineStateMachine"]["Properties"]["Name"])
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", name), name
    assert name == f"pipeline-{STACK_UUID}"
    # Every role that names the executions by pattern names this state machine's.
    finalize = template["Resources"]["FinalizeRole"]["Properties"]["Policies"][0]
    history = [
        resolver.resolve(statement["Resource"])
        for statement in finalize["PolicyDocument"]["Statement"]
        if isinstance(statement, dict) and statement.get("Action") == "states:GetExecutionHistory"
    ]
    assert history == [f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:*"]


def test_function_memory_for_the_cost_ledger_matches_the_functions(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    declared = json.loads(
        template["Globals"]["Function"]["Environment"]["Variables"]["SCRIBA_FUNCTION_MEMORY_MB"]
    )
    default = template["Globals"]["Function"]["MemorySize"]
    for name, function in functions(resources).items():
        if name in declared:
            assert declared[name] == function["Properties"].get("MemorySize", default), name
    stage_functions = {
        state["Resource"].removeprefix("${").removesuffix("Arn}")
        for state in json.loads((ROOT / "statemachine" / "pipeline.asl.json").read_text())[
            "States"
        ].values()
        if state.get("Type") == "Task"
    }
    assert stage_functions <= set(declared)


def test_each_function_reaches_only_its_own_services(resources: dict[str, Any]) -> None:
    for name, function in functions(resources).items():
        services = {
            action.split(":")[0]
            for statement in statements(role_of(resources, function))
            for action in as_list(statement["Action"])
        }
        assert services - ALWAYS == SERVICES_BY_FUNCTION[name], name


def test_bedrock_is_limited_to_the_configured_model(resources: dict[str, Any]) -> None:
    found = []
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            actions = as_list(statement["Action"])
            if any(action.startswith("bedrock:") for action in actions):
                found.append(role_id)
                assert actions == ["bedrock:InvokeModel"], role_id
                assert "BedrockModelId" in names_in(statement["Resource"])
    assert found == ["SummarizeRole"]


PROFILE_SOURCE = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile"


@pytest.mark.parametrize(
    ("model_id", "allowed", "refused"),
    [
        (
            "amazon.titan-text-express-v1",
            [f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-express-v1"],
            [
                "arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1",
                f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-text-lite-v1",
                f"{PROFILE_SOURCE}/us.amazon.titan-text-express-v1",
            ],
        ),
        (
            "us.amazon.nova-lite-v1:0",
            [
                f"{PROFILE_SOURCE}/us.amazon.nova-lite-v1:0",
                # The profile routes to the foundation model in any of its regions.
                f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-lite-v1:0",
                "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-lite-v1:0",
                "arn:aws:bedrock:us-east-2::foundation-model/amazon.nova-lite-v1:0",
            ],
            [
                f"{PROFILE_SOURCE}/eu.amazon.nova-lite-v1:0",
                f"arn:aws:bedrock:{REGION}:210987654321:inference-profile/us.amazon.nova-lite-v1:0",
                f"arn:aws:bedrock:{REGION}::foundation-model/amazon.nova-pro-v1:0",
                f"arn:aws:bedrock:{REGION}::foundation-model/us.amazon.nova-lite-v1:0",
            ],
        ),
        (
            "eu.anthropic.claude-3-haiku-20240307-v1:0",
            [
                f"{PROFILE_SOURCE}/eu.anthropic.claude-3-haiku-20240307-v1:0",
                "arn:aws:bedrock:eu-west-3::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
            ],
            [f"{PROFILE_SOURCE}/us.anthropic.claude-3-haiku-20240307-v1:0"],
        ),
        (
            "apac.amazon.nova-micro-v1:0",
            [
                f"{PROFILE_SOURCE}/apac.amazon.nova-micro-v1:0",
                "arn:aws:bedrock:ap-northeast-1::foundation-model/amazon.nova-micro-v1:0",
            ],
            ["arn:aws:bedrock:ap-northeast-1::foundation-model/amazon.nova-lite-v1:0"],
        ),
        (
            "global.anthropic.claude-sonnet-4-20250514-v1:0",
            [
                f"{PROFILE_SOURCE}/global.anthropic.claude-sonnet-4-20250514-v1:0",
                # A global profile's routed model ARN has no region.
                "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
                "arn:aws:bedrock:sa-east-1::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0",
            ],
            ["arn:aws:bedrock:::foundation-model/anthropic.claude-opus-4-20250514-v1:0"],
        ),
    ],
)
def test_the_summarizer_may_invoke_the_configured_model_or_profile_and_nothing_else(
    model_id: str, allowed: list[str], refused: list[str]
) -> None:
    # The template resolved as CloudFormation would for this parameter (conditions included).
    stack = load_stack(ROOT, {"BedrockModelId": model_id})
    role = Role.of_function(stack, "SummarizeFunction")
    for arn in allowed:
        assert role.allows(Permission("bedrock:InvokeModel", arn)), arn
    for arn in refused:
        assert not role.allows(Permission("bedrock:InvokeModel", arn)), arn
    assert not role.allows(Permission("bedrock:InvokeModelWithResponseStream", allowed[0]))
    # What tests/iam.py checks for each Converse call the functions make.
    for permission in bedrock_invocation(model_id):
        assert role.allows(permission), permission


def test_sources_are_only_read(resources: dict[str, Any]) -> None:
    # "The source object is never modified or deleted."
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            if "InputBucket" in names_in(statement["Resource"]):
                for action in as_list(statement["Action"]):
                    assert action.startswith(("s3:Get", "s3:List")), f"{role_id}: {action}"


def test_output_prefixes_in_policies_are_the_ones_the_code_writes(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    allowed = {env["SCRIBA_RESULTS_PREFIX"], env["SCRIBA_WORK_PREFIX"], env["SCRIBA_INDEX_PREFIX"]}
    allowed.add(layout.BACKFILL_PREFIX)  # the backfill's Map Run results (ResultWriter)
    for role_id, role in all_roles(resources).items():
        for statement in statements(role):
            for resource in as_list(statement["Resource"]):
                text = json.dumps(resource)
                for prefix in re.findall(r"\$\{OutputBucket\.Arn\}/([^/\"*]+)", text):
                    assert prefix in allowed, f"{role_id}: {prefix}"


def test_the_state_machine_may_invoke_the_stage_functions_only(
    resources: dict[str, Any],
) -> None:
    machine = resources["PipelineStateMachine"]["Properties"]
    role = resources[machine["Role"]["Fn::GetAtt"][0]]
    trust = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    invoke = [s for s in statements(role) if "lambda:InvokeFunction" in as_list(s["Action"])]
    (statement,) = invoke
    assert as_list(statement["Action"]) == ["lambda:InvokeFunction"]
    substitutions = machine["DefinitionSubstitutions"]
    assert sorted(statement["Resource"], key=json.dumps) == sorted(
        substitutions.values(), key=json.dumps
    )
    services = {a.split(":")[0] for s in statements(role) for a in as_list(s["Action"])}
    assert services == {"lambda", "xray", "logs"}


# -- the workflow --------------------------------------------------------------------------------


def test_the_state_machine_is_standard_logged_and_traced(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    machine = resources["PipelineStateMachine"]["Properties"]
    assert machine["Type"] == "STANDARD"
    assert machine["Tracing"] == {"Enabled": True}
    logging = machine["Logging"]
    assert logging["IncludeExecutionData"] is False
    level = template["Parameters"][logging["Level"]["Ref"]]
    assert set(level["AllowedValues"]) <= {"ALL", "ERROR", "FATAL"}
    (destination,) = logging["Destinations"]
    group = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert "RetentionInDays" in resources[group]["Properties"]


def test_every_function_logs_to_a_group_with_retention_and_is_traced(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    for name, function in functions(resources).items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert resources[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        role = role_of(resources, function)
        (logs,) = [s for s in statements(role) if s.get("Sid") == "Logs"]
        assert logs["Resource"] == {"Fn::GetAtt": [group, "Arn"]}, name


# -- queues --------------------------------------------------------------------------------------


def test_every_queue_is_encrypted_in_every_configuration(resources: dict[str, Any]) -> None:
    for name, queue in of_type(resources, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        key, managed = properties["KmsMasterKeyId"], properties["SqsManagedSseEnabled"]
        assert key["Fn::If"][0] == managed["Fn::If"][0] == "UseKmsKey", name
        assert key["Fn::If"][1] == {"Ref": "KmsKeyArn"}, name
        assert managed["Fn::If"][2] is True, name


def test_every_queue_refuses_plain_http_and_only_the_upload_rule_may_send(
    resources: dict[str, Any],
) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    (policy,) = of_type(resources, "AWS::SQS::QueuePolicy").values()
    assert sorted(q["Ref"] for q in policy["Properties"]["Queues"]) == sorted(queues)
    document = policy["Properties"]["PolicyDocument"]["Statement"]
    (deny,) = [s for s in document if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(r["Fn::GetAtt"][0] for r in deny["Resource"]) == sorted(queues)
    for allow in (s for s in document if s["Effect"] == "Allow"):
        assert allow["Principal"] == {"Service": "events.amazonaws.com"}
        assert allow["Action"] == "sqs:SendMessage"
        assert allow["Condition"] == {
            "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["UploadRule", "Arn"]}}
        }


def test_the_upload_path_has_a_dead_letter_queue_and_bounded_concurrency(
    resources: dict[str, Any],
) -> None:
    queue = resources["StartQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["StartDeadLetterQueue", "Arn"]
    }
    assert 1 < queue["RedrivePolicy"]["maxReceiveCount"] <= 10
    starter = resources["StartFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * starter["Timeout"]
    (event,) = starter["Events"].values()
    assert event["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "StartConcurrency"}
    }
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    (target,) = resources["UploadRule"]["Properties"]["Targets"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["StartDeadLetterQueue", "Arn"]}}


def test_the_sweeper_runs_on_a_schedule_with_a_dead_letter_queue(
    resources: dict[str, Any],
) -> None:
    sweeper = resources["SweepFunction"]["Properties"]
    (event,) = sweeper["Events"].values()
    assert event["Type"] == "Schedule"
    assert event["Properties"]["Schedule"] == {"Ref": "SweepSchedule"}
    assert json.loads(event["Properties"]["Input"]) == {"redrive_failed": False}
    assert sweeper["DeadLetterQueue"] == {
        "Type": "SQS",
        "TargetArn": {"Fn::GetAtt": ["SweepDeadLetterQueue", "Arn"]},
    }


# -- alarms --------------------------------------------------------------------------------------


def metric_stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [properties]
    return [m["MetricStat"]["Metric"] for m in properties["Metrics"] if "MetricStat" in m]


def test_alarms_watch_dead_letters_failed_executions_and_throttles(
    resources: dict[str, Any],
) -> None:
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    metrics = [(m["MetricName"], m["Dimensions"]) for a in alarms.values() for m in metric_stats(a)]
    dead_letter_queues = {"StartDeadLetterQueue", "SweepDeadLetterQueue"}
    for queue in dead_letter_queues:
        dimension = [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}]
        assert ("ApproximateNumberOfMessagesVisible", dimension) in metrics, queue
    machine = [{"Name": "StateMachineArn", "Value": {"Ref": "PipelineStateMachine"}}]
    assert ("ExecutionsFailed", machine) in metrics
    assert ("ExecutionsTimedOut", machine) in metrics
    for name in throttle_watched(resources):
        dimension = [{"Name": "FunctionName", "Value": {"Ref": name}}]
        assert ("Throttles", dimension) in metrics, name
    for name, alarm in alarms.items():
        properties = alarm["Properties"]
        assert properties["Threshold"] == 0, name
        assert properties["ComparisonOperator"] == "GreaterThanThreshold", name
        assert names_in(properties["AlarmActions"]) == {"AlarmTopicArn", "AWS::NoValue"}, name


def test_the_throttle_alarm_adds_up_every_function(resources: dict[str, Any]) -> None:
    metrics = resources["ThrottledFunctionsAlarm"]["Properties"]["Metrics"]
    ids = {m["Id"] for m in metrics if "MetricStat" in m}
    (expression,) = [m["Expression"] for m in metrics if m.get("ReturnData")]
    assert set(re.findall(r"FILL\((\w+), 0\)", expression)) == ids
    assert len(ids) == len(throttle_watched(resources))


def throttle_watched(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every function but those that run one at a time by design (the admitter: a burst of end
    events queues in Lambda's asynchronous queue, and the tick frees what a lost one held), whose
    throttles are expected and say nothing wrong."""
    return {
        name: function
        for name, function in functions(resources).items()
        if function["Properties"].get("ReservedConcurrentExecutions") != 1
    }


# -- settings ------------------------------------------------------------------------------------

# What a deployment must set (the rest of Settings has defaults that suit AWS).
DEPLOYED_SETTINGS = {
    "engines",
    "input_bucket",
    "input_prefix",
    "input_suffix",
    "output_bucket",
    "results_prefix",
    "work_prefix",
    "index_prefix",
    "function_memory_mb",
    "event_bus",
    "languages",
    "voices",
    "bedrock_model_id",
    "kms_key_arn",
    "summary_sentences",
    "min_text_confidence",
    "min_label_confidence",
    "max_labels",
    "max_images",
    "textract_features",
    "max_document_bytes",
    "max_pages",
}
ADMISSION = {"max_documents_in_flight", "admission_table", "waiting_queue_url"}
PER_FUNCTION_SETTINGS = {
    "StartFunction": {"state_machine_arn", *ADMISSION},
    "AdmitFunction": {"state_machine_arn", *ADMISSION},
    "SweepFunction": {
        "state_machine_arn",
        "start_queue_url",
        "waiting_queue_url",
        "sweep_grace_minutes",
        "sweep_max_messages",
        "sweep_max_attempts",
    },
    "BackfillFunction": {"start_queue_url"},
}


def scriba_variables(variables: dict[str, Any]) -> set[str]:
    return {k.removeprefix("SCRIBA_").lower() for k in variables if k.startswith("SCRIBA_")}


def test_every_scriba_variable_is_a_setting_and_the_needed_ones_are_set(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    fields = set(Settings.model_fields)
    shared = scriba_variables(template["Globals"]["Function"]["Environment"]["Variables"])
    assert shared <= fields, f"not settings: {shared - fields}"
    assert shared == DEPLOYED_SETTINGS
    for name, function in functions(resources).items():
        own = scriba_variables(function["Properties"]["Environment"]["Variables"])
        assert own <= fields, f"{name}: not settings: {own - fields}"
        assert own == PER_FUNCTION_SETTINGS.get(name, set()), name


def test_every_parameter_is_used(template: dict[str, Any]) -> None:
    body = {k: v for k, v in template.items() if k != "Parameters"}
    used = names_in(body)
    unused = set(template["Parameters"]) - used
    assert not unused, f"parameters nothing reads: {unused}"


def test_the_bedrock_default_is_titan_text_express(template: dict[str, Any]) -> None:
    assert template["Parameters"]["BedrockModelId"]["Default"] == "amazon.titan-text-express-v1"


def test_the_settings_parse_the_template_defaults(template: dict[str, Any]) -> None:
    parameters = template["Parameters"]
    settings = Settings(
        voices=json.loads(parameters["Voices"]["Default"]),
        min_label_confidence=parameters["MinLabelConfidence"]["Default"],
        max_labels=parameters["MaxLabels"]["Default"],
        max_images=parameters["MaxImages"]["Default"],
        max_document_bytes=parameters["MaxDocumentBytes"]["Default"],
        max_pages=parameters["MaxPages"]["Default"],
        summary_sentences=parameters["SummarySentences"]["Default"],
        min_text_confidence=parameters["MinTextConfidence"]["Default"],
        sweep_grace_minutes=parameters["SweepGraceMinutes"]["Default"],
        sweep_max_attempts=parameters["RedriveMaxAttempts"]["Default"],
        languages=parameters["TargetLanguages"]["Default"],
    )
    assert settings.languages == ["es", "fr"]
    assert settings.min_text_confidence == Settings().min_text_confidence


# -- packaging -----------------------------------------------------------------------------------


def test_every_function_folder_lists_only_what_it_needs_beyond_the_layer(
    resources: dict[str, Any],
) -> None:
    layer = (ROOT / "layer" / "requirements.txt").read_text()
    for name, function in functions(resources).items():
        folder = ROOT / function["Properties"]["CodeUri"]
        requirements = (folder / "requirements.txt").read_text()
        packages = {
            line.split("==")[0].lower()
            for line in requirements.splitlines()
            if line.strip() and not line.startswith("#")
        }
        assert not packages & {"boto3", "pydantic", "aws-lambda-powertools"}, name
        if name in ("ExtractFunction", "TagFunction"):
            # ftfy (and its wcwidth): telling a mojibake text layer from text.
            assert packages == {"pypdfium2", "pillow", "ftfy", "wcwidth"}, name
        elif name == "SpeakFunction":
            assert packages == {"mutagen"}, name
        else:
            assert packages == set(), name
    assert "aws-lambda-powertools[tracer,parser]" in layer


def test_every_checkov_skip_gives_its_reason(resources: dict[str, Any]) -> None:
    for name, resource in resources.items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "")) > 40, f"{name}: {skip['id']} without a reason"


def stage_modules_of(function: dict[str, Any]) -> list[Path]:
    """The source files of the stages a function's handler imports (``from scriba.stages import
    tag`` is src/scriba/stages/tag.py; a package is every file in it)."""
    handler = ROOT / function["Properties"]["CodeUri"] / "app.py"
    stages = ROOT / "src" / "scriba" / "stages"
    files: list[Path] = []
    for node in ast.walk(ast.parse(handler.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "scriba.stages":
            for alias in node.names:
                package = stages / alias.name
                files += sorted(package.rglob("*.py")) if package.is_dir() else []
                files += (
                    [package.with_suffix(".py")] if package.with_suffix(".py").is_file() else []
                )
    return files


def test_functions_that_copy_the_source_have_room_for_the_largest_one(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    # storage.local_copy downloads the whole source to /tmp; Lambda's default is 512 MB, below
    # MaxDocumentBytes' largest value (500 MiB) plus what the function writes beside it (an OCR
    # job's subset PDF, the pictures sent for labelling).
    largest = int(template["Parameters"]["MaxDocumentBytes"]["MaxValue"])
    copying = {
        name
        for name, function in functions(resources).items()
        if any(
            "local_copy(" in path.read_text(encoding="utf-8") for path in stage_modules_of(function)
        )
    }
    assert copying == {"ExtractFunction", "TagFunction"}
    for name in copying:
        size_mb = (
            functions(resources)[name]["Properties"].get("EphemeralStorage", {}).get("Size", 512)
        )
        assert size_mb * 1024 * 1024 >= largest + 1024 * 1024 * 1024, (name, size_mb)
        assert size_mb <= 10240, name  # Lambda's maximum
