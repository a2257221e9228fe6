#!/usr/bin/env bash
# Sets up everything the tests need (Debian packages, .venv with the dev extras, the IaC tools)
# and runs every check: lint, types, the infrastructure checks and the whole test suite.
# This is what CI runs (.ci/run). Extra arguments go to pytest, e.g. `bash scripts/test.sh -k ocr`.
set -euo pipefail
cd "$(dirname "$0")/.."

EXTRA="chromium chromium-driver"
# scripts/check-iac.sh installs asl-validator with npm (Debian's npm, unless one is installed).
command -v npm >/dev/null || EXTRA="$EXTRA npm"
EXTRAS=local,dev EXTRA_APT_PACKAGES="$EXTRA" bash scripts/setup.sh

echo "== lint and types"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

if [ -f scripts/check-iac.sh ]; then
  echo "== infrastructure: sam validate, cfn-lint, sam build, checkov"
  bash scripts/check-iac.sh
fi

echo "== tests"
# Two processes; a module's tests stay together (the end-to-end modules share one local stack).
.venv/bin/pytest -n "${TEST_PROCESSES:-2}" --dist loadfile "$@"
