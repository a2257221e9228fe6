"""Prints the CloudFormation that the SAM transform makes of a template, offline.

Run with the Python of the aws-sam-cli environment (it ships the SAM translator). Used by
``scripts/check-iac.sh`` so that checkov also scans what SAM generates: the functions' roles,
the event source mappings and the state machine's role.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_parse
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform


class OfflinePolicies(ManagedPolicyLoader):
    """AWS managed policy ARNs from the translator's bundled list; never calls IAM."""

    def __init__(self) -> None:
        pass

    def load(self) -> dict[str, str]:
        return {}


def with_artifacts_in_s3(template: dict[str, Any], root: Path) -> dict[str, Any]:
    """What ``sam package`` would hand the transform: code in S3, the definition inline."""
    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = f"s3://artifacts/{logical_id}.zip"
        elif kind == "AWS::Serverless::LayerVersion":
            properties["ContentUri"] = f"s3://artifacts/{logical_id}.zip"
        elif kind == "AWS::Serverless::StateMachine" and "DefinitionUri" in properties:
            definition = root / properties.pop("DefinitionUri")
            properties["Definition"] = json.loads(definition.read_text(encoding="utf-8"))
    return template


def main(path: str) -> int:
    source = Path(path)
    template: dict[str, Any] = yaml_parse(source.read_text(encoding="utf-8"))
    template = with_artifacts_in_s3(template, source.resolve().parent)
    try:
        transformed = transform(template, {}, OfflinePolicies())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"SAM transform: {cause.message}", file=sys.stderr)
        return 1
    json.dump(transformed, sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
