#!/usr/bin/env bash
# Offline checks of the SAM stack (template.yaml), with no AWS account and no network but PyPI:
#   1. sam validate --lint       (the SAM transform, then cfn-lint on the result)
#   2. cfn-lint template.yaml    (on its own, pinned: the rules a reviewer reads)
#   3. sam build                 (no containers; the python3.12 runtime's Python from PATH)
#   4. checkov                   (on template.yaml and on the transformed CloudFormation, so what
#                                 SAM generates - event source mapping, schedule rule, function
#                                 permissions, the plain Lambda and Step Functions resources - is
#                                 scanned too)
#   5. asl-validator             (npm, pinned: an independent check of every state machine of
#                                 the template - statemachine/pipeline.asl.json and
#                                 statemachine/backfill.asl.json - with its
#                                 DefinitionSubstitutions filled in as the local stack reader
#                                 resolves them: function ARNs of a stack in us-east-1)
#   6. import smoke test         (each built handler, and what it imports lazily, imports with
#                                 only its own package and the layer, in Python 3.12)
# and prints the unzipped size of every built function and of the layer.
#
# Each tool is installed once, into its own virtual environment under .tools/ (aws-sam-cli pins an
# exact boto3, so it never shares one); asl-validator into .tools/asl-validator with npm. Re-running reuses them. Exit status: non-zero on the first
# failing check; checkov fails on any failed check that is not suppressed, with a written reason,
# in the template's Metadata.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

TOOLS="${SCRIBA_TOOLS_DIR:-$ROOT/.tools}"
SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"
CHECKOV_VERSION="3.3.30"
ASL_VALIDATOR_VERSION="4.0.0"
TOOL_PYTHON="${TOOL_PYTHON:-python3}"

export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_REGION="${AWS_REGION:-$AWS_DEFAULT_REGION}"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# checkov would otherwise fetch its guideline links from the network (see also --skip-download).
export BC_SKIP_MAPPING=TRUE

# The functions run on python3.12: sam build (no containers) needs that Python on PATH.
find_python312() {
  local candidate
  for candidate in "${PYTHON312:-}" "$(command -v python3.12 || true)" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12; do
    # A pyenv shim exists on PATH even when it cannot run 3.12: ask the interpreter itself.
    if [ -n "$candidate" ] && [ -x "$candidate" ] &&
      "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
      "$candidate" -c 'import sys; print(sys.executable)'
      return
    fi
  done
  return 1
}
PYTHON312="$(find_python312)" || {
  echo "check-iac: python3.12 not found (the Lambda runtime of template.yaml); install it or put it on PATH" >&2
  exit 2
}
export PATH="$(dirname "$PYTHON312"):$PATH"

step() { printf '\n== %s\n' "$*"; }

# Runs pip quietly: its output is shown only when it fails.
quiet() {
  local log
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# install_tool NAME REQUIREMENT: a venv at $TOOLS/NAME with REQUIREMENT, installed once.
install_tool() {
  local requirement="$2" venv="$TOOLS/$1"
  local stamp="$venv/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirement" ]; then
    return
  fi
  step "installing $requirement into ${venv#"$ROOT"/}"
  rm -rf "$venv"
  "$TOOL_PYTHON" -m venv "$venv"
  quiet "$venv/bin/python" -m pip install --upgrade pip
  quiet "$venv/bin/python" -m pip install "$requirement"
  echo "$requirement" >"$stamp"
}

# install_node_tool NAME PACKAGE@VERSION: an npm prefix at $TOOLS/NAME, installed once.
install_node_tool() {
  local requirement="$2" prefix="$TOOLS/$1"
  local stamp="$prefix/.installed"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$requirement" ]; then
    return
  fi
  command -v npm >/dev/null || {
    echo "check-iac: npm not found (needed for $requirement); install nodejs and npm" >&2
    exit 2
  }
  step "installing $requirement into ${prefix#"$ROOT"/}"
  rm -rf "$prefix"
  mkdir -p "$prefix"
  quiet npm install --prefix "$prefix" --no-audit --no-fund --no-save "$requirement"
  echo "$requirement" >"$stamp"
}

install_tool sam "aws-sam-cli==$SAM_CLI_VERSION"
install_tool cfn-lint "cfn-lint==$CFN_LINT_VERSION"
install_tool checkov "checkov==$CHECKOV_VERSION"
install_node_tool asl-validator "asl-validator@$ASL_VALIDATOR_VERSION"
SAM="$TOOLS/sam/bin/sam"

# A Python 3.12 with boto3, like the Lambda runtime, for bench/cold_start.py's "as deployed" row.
if [ ! -x "$TOOLS/lambda-py312/bin/python" ]; then
  step "creating ${TOOLS#"$ROOT"/}/lambda-py312 (the runtime's Python and SDK, for benchmarks)"
  "$PYTHON312" -m venv "$TOOLS/lambda-py312"
  quiet "$TOOLS/lambda-py312/bin/python" -m pip install "boto3==1.44.8"
fi

step "sam validate --lint"
"$SAM" validate --lint --template-file template.yaml

step "cfn-lint $CFN_LINT_VERSION (warnings fail too)"
# A warning that is accepted is suppressed in the resource's Metadata (cfn-lint: config:
# ignore_checks) with the reason written next to it; there is none today.
"$TOOLS/cfn-lint/bin/cfn-lint" --non-zero-exit-code warning template.yaml

step "sam build (no containers, $("$PYTHON312" --version))"
"$SAM" build --template-file template.yaml --build-dir .aws-sam/build --no-cached

step "checkov $CHECKOV_VERSION"
# checkov's CloudFormation framework reads SAM resources (AWS::Serverless::*) but not what the
# transform generates from them; the transformed template is scanned as well, translated offline
# with the SAM translator. (checkov's "serverless" framework is for serverless.yml, not SAM.)
mkdir -p .aws-sam/checks
"$TOOLS/sam/bin/python" "$ROOT/scripts/sam_transform.py" template.yaml >.aws-sam/checks/transformed.json
"$TOOLS/checkov/bin/checkov" --quiet --compact --skip-download --framework cloudformation \
  -f template.yaml -f .aws-sam/checks/transformed.json

step "asl-validator $ASL_VALIDATOR_VERSION (every statemachine/*.asl.json of the template, substitutions filled in)"
# cfn-lint checks ASL only in inline definitions, not in DefinitionUri files. Each definition is
# written with the template's ${...} substitutions resolved by scriba's own template reader (the
# one the local run uses; sam's Python has its one dependency, PyYAML), one file per state
# machine, named after its DefinitionUri; a definition file no state machine uses fails.
rm -f .aws-sam/checks/*.asl.json
PYTHONPATH="$ROOT/src" "$TOOLS/sam/bin/python" - <<'PY'
import pathlib
from scriba.local.template import load_stack
stack = load_stack(pathlib.Path("."))
written = set()
for machine in stack.state_machines.values():
    uri = stack.resources[machine.logical_id]["Properties"]["DefinitionUri"]
    assert "${" not in machine.definition, f"{uri}: a substitution the template does not define"
    name = pathlib.Path(uri).name
    pathlib.Path(".aws-sam/checks", name).write_text(machine.definition)
    written.add(name)
unused = {p.name for p in pathlib.Path("statemachine").glob("*.asl.json")} - written
assert not unused, f"no state machine of template.yaml uses {sorted(unused)}"
print("  " + ", ".join(sorted(written)))
PY
for definition in .aws-sam/checks/*.asl.json; do
  "$TOOLS/asl-validator/node_modules/.bin/asl-validator" --json-path "$definition"
done

step "handlers import with only their package and the layer (Python 3.12, nothing from the host)"
"$PYTHON312" - <<'PY'
import pathlib, subprocess, sys

build = pathlib.Path(".aws-sam/build").resolve()
layer = build / "ScribaLayer" / "python"
# What each handler imports only when it runs (engines and PDF code are imported lazily).
LAZY = {
    "ExtractFunction": ["scriba.media.pdf", "scriba.media.image_input",
                        "scriba.engines.aws.textract", "scriba.engines.aws.comprehend"],
    "TagFunction": ["scriba.media.pdf", "scriba.media.pdf_pictures", "scriba.media.image_input",
                    "scriba.media.labeling", "scriba.engines.aws.rekognition"],
    "SummarizeFunction": ["scriba.engines.aws.bedrock"],
    "TranslateFunction": ["scriba.engines.aws.translate", "scriba.engines.aws.comprehend"],
    "SpeakFunction": ["scriba.engines.aws.polly", "mutagen.mp3"],
    "FinalizeFunction": ["scriba.stages.finalize", "scriba.aws.events"],
    "StartFunction": ["scriba.stages.start"],
    "SweepFunction": ["scriba.stages.sweep", "scriba.stages.finalize"],
    "BackfillFunction": ["scriba.stages.backfill"],
}
CHECK = """
import importlib, importlib.util, os, sys
os.environ.update(AWS_DEFAULT_REGION="us-east-1", POWERTOOLS_TRACE_DISABLED="true")
# The handlers check their settings at import; the template sets these, here they are stand-ins.
os.environ.update(
    SCRIBA_STATE_MACHINE_ARN="arn:aws:states:us-east-1:123456789012:stateMachine:scriba-pipeline",
    SCRIBA_INPUT_BUCKET="scriba-input",
    SCRIBA_START_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/scriba-start",
    SCRIBA_ADMISSION_TABLE="scriba-admission",
    SCRIBA_WAITING_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/scriba-waiting",
)
import app
assert callable(app.handler)
for module in {lazy!r}:
    importlib.import_module(module)
# The layer leaves the offline engines and the local executor out.
assert importlib.util.find_spec("scriba.local") is None, "scriba.local is in the package"
assert importlib.util.find_spec("scriba.engines.local") is None, "scriba.engines.local is in the package"
import boto3
# Summaries use the Converse API: the packaged SDK must know it.
assert hasattr(boto3.client("bedrock-runtime"), "converse"), boto3.__version__
"""
failed = False
for function in sorted(p for p in build.iterdir() if (p / "app.py").is_file()):
    code = f"import sys; sys.path[:0] = {[str(function), str(layer)]!r}\n"
    code += CHECK.format(lazy=LAZY.get(function.name, []))
    # -I -S: no site-packages and no user paths, only the function and the layer.
    result = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True,
                            text=True, cwd="/")
    print(f"  {function.name:<20} {'ok' if result.returncode == 0 else 'FAILED'}")
    if result.returncode:
        failed = True
        print(result.stderr[-2000:])
sys.exit(1 if failed else 0)
PY

step "unzipped sizes after sam build (Lambda allows 250 MB for a function and its layers)"
"$PYTHON312" - <<'PY'
import pathlib
build = pathlib.Path(".aws-sam/build")
def size(folder: pathlib.Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())
layer = size(build / "ScribaLayer")
print(f"  {'ScribaLayer':<20} {layer / 1e6:8.1f} MB")
for function in sorted(p for p in build.iterdir() if p.is_dir() and p.name != "ScribaLayer"):
    own = size(function)
    print(f"  {function.name:<20} {own / 1e6:8.1f} MB   with the layer {(own + layer) / 1e6:8.1f} MB")
PY

step "all IaC checks passed"
