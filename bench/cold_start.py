"""Cold start of each Lambda handler: a fresh interpreter, from the import of ``app.py`` to a
handler ready to be called, against a handler that only imports boto3 (``bench/boto3_handler.py``).

Two settings:

- source: ``functions/<name>/app.py`` with the project's virtual environment, bytecode cached (a
  private ``PYTHONPYCACHEPREFIX`` that one untimed import of every handler fills first). This is
  the cost of what the handlers import.
- as deployed (when ``sam build`` has run and a Python 3.12 with boto3 is at hand): the packages in
  ``.aws-sam/build`` (function folder, then the layer's ``python/``, then the runtime's boto3),
  with Python 3.12 writing no bytecode, as on Lambda, whose ``/var/task`` and ``/opt`` are
  read-only: whatever the packages do not ship compiled is compiled at every cold start. Also
  timed: the same packages byte-compiled (``compileall --invalidation-mode unchecked-hash``).

Every run sets what the Lambda runtime sets (``LAMBDA_TASK_ROOT``...), the function's environment
from ``template.yaml``, the AWS engines, tracing off (``POWERTOOLS_TRACE_DISABLED``) and dummy
credentials.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.results import ROOT, BenchResult, Goal, Table, Timings, number, run_alone
from scriba.local.template import load_stack

GOAL_RATIO = 1.5
BASELINE = "boto3 only"
BUILD = ROOT / ".aws-sam" / "build"
# A Python 3.12 with boto3, standing in for the Lambda runtime (scripts/check-iac.sh makes one).
LAMBDA_PYTHON = Path(
    os.environ.get("SCRIBA_LAMBDA_PYTHON", ROOT / ".tools" / "lambda-py312" / "bin" / "python")
)

# Runs in the fresh interpreter: import app.py from its folder, resolve the handler, report.
_PROBE = """
import json, sys, time
started = time.perf_counter()
import importlib.util
folder, module_file, attribute = sys.argv[1:4]
sys.path[:0] = [folder, *sys.argv[4:]]
spec = importlib.util.spec_from_file_location("app", module_file)
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
handler = getattr(module, attribute)
assert callable(handler)
ready = time.perf_counter()
print(json.dumps({"seconds": ready - started, "modules": len(sys.modules)}))
"""

AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_SESSION_TOKEN": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "SCRIBA_ENGINES": "aws",
}


@dataclass(frozen=True)
class Handler:
    folder: Path  # the function's code (its CodeUri, or its sam build folder)
    handler: str  # module.function
    environment: dict[str, str]
    extra_path: tuple[Path, ...] = ()  # after the folder: the layer, the runtime's packages


def handlers() -> dict[str, Handler]:
    """Function folder name -> handler from the template; the baseline last."""
    stack = load_stack(ROOT)
    found = {
        Path(spec.code_uri).name: Handler(Path(spec.code_uri), spec.handler, dict(spec.environment))
        for spec in stack.functions.values()
    }
    ordered = dict(sorted(found.items()))
    ordered[BASELINE] = Handler(ROOT / "bench", "boto3_handler.handler", {})
    return ordered


def cold_start(
    python: Path | str, target: Handler, settings: Mapping[str, str], flags: Sequence[str] = ()
) -> tuple[float, int]:
    """Seconds from the first import to a callable handler in a new interpreter, and how many
    modules that loaded."""
    module, attribute = target.handler.rsplit(".", 1)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        **target.environment,
        **AWS_ENVIRONMENT,
        # Libraries take their Lambda paths (the X-Ray SDK, for one, would otherwise create a
        # sampling client at import).
        "LAMBDA_TASK_ROOT": str(target.folder),
        "AWS_LAMBDA_FUNCTION_NAME": target.folder.name,
        "_HANDLER": target.handler,
        **settings,
    }
    completed = subprocess.run(
        [
            str(python),
            *flags,
            "-c",
            _PROBE,
            str(target.folder),
            str(target.folder / f"{module}.py"),
            attribute,
            *[str(path) for path in target.extra_path],
        ],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode:
        raise RuntimeError(
            f"{target.folder / module}.py did not import:\n{completed.stderr[-3000:]}"
        )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return float(report["seconds"]), int(report["modules"])


def round_robin(
    python: Path | str,
    targets: Mapping[str, Handler],
    settings: Mapping[str, str],
    repeats: int,
    flags: Sequence[str] = (),
) -> tuple[dict[str, Timings], dict[str, int]]:
    """Each handler ``repeats`` times, in turns, so background load falls on all alike."""
    seconds: dict[str, list[float]] = {name: [] for name in targets}
    modules: dict[str, int] = {}
    for _ in range(repeats):
        for name, target in targets.items():
            took, loaded = cold_start(python, target, settings, flags)
            seconds[name].append(took)
            modules[name] = loaded
    return {name: Timings(tuple(values)) for name, values in seconds.items()}, modules


def runtime_site_packages(python: Path) -> Path | None:
    """The site-packages of the stand-in runtime, when it is a Python 3.12 with boto3."""
    if not python.is_file():
        return None
    completed = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, boto3, pathlib; assert sys.version_info[:2] == (3, 12); "
            "print(pathlib.Path(boto3.__file__).parents[1])",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return Path(completed.stdout.strip()) if completed.returncode == 0 else None


def deployed_copies(build: Path, folder: Path, compiled: bool) -> dict[str, Handler]:
    """The built functions and layer as ``sam build`` made them (the layer is byte-compiled by
    layer/Makefile), or with the functions' own packages byte-compiled too, as handlers."""
    packages = folder / ("compiled" if compiled else "as-built")
    shutil.copytree(build, packages, ignore=shutil.ignore_patterns("template.yaml"))
    if compiled:
        subprocess.run(
            [
                str(LAMBDA_PYTHON),
                *("-m", "compileall", "-q", "-j", "0"),
                *("--invalidation-mode", "unchecked-hash", str(packages)),
            ],
            check=True,
            capture_output=True,
        )
    layers = tuple(
        path / "python"
        for path in sorted(packages.iterdir())
        if path.is_dir() and not (path / "app.py").is_file() and (path / "python").is_dir()
    )
    stack = load_stack(ROOT)
    found: dict[str, Handler] = {}
    for logical_id, spec in sorted(stack.functions.items()):
        code = packages / logical_id
        if (code / "app.py").is_file():
            found[Path(spec.code_uri).name] = Handler(
                code, spec.handler, dict(spec.environment), layers
            )
    return found


def every_handler(setting: str, ratios: Mapping[str, float]) -> Goal:
    """One check for all handlers: met when the slowest one meets the goal."""
    slowest = max(ratios, key=lambda name: ratios[name])
    fastest = min(ratios, key=lambda name: ratios[name])
    return Goal.at_most(
        f"{len(ratios)} handlers vs boto3 only, {setting}",
        ratios[slowest],
        GOAL_RATIO,
        f"{number(ratios[fastest])}× ({fastest}) to {number(ratios[slowest])}× ({slowest})",
        f"≤ {number(GOAL_RATIO)}× each",
    )


def measure(repeats: int = 7, deployed_repeats: int = 3) -> BenchResult:
    targets = handlers()
    with tempfile.TemporaryDirectory(prefix="scriba-bench-pycache-") as cache:
        settings = {"PYTHONPYCACHEPREFIX": cache}
        for target in targets.values():  # fills the bytecode cache, untimed
            cold_start(sys.executable, target, settings)
        timings, modules = round_robin(sys.executable, targets, settings, repeats)
    baseline = timings[BASELINE].median
    table = Table(["function", "import to handler ready, ms", "modules loaded", "vs boto3 only"])
    result = BenchResult(key="cold_start", title="Cold start of each Lambda handler", table=table)
    ratios: dict[str, float] = {}
    for name, timing in timings.items():
        ratio = timing.median / baseline
        table.add(name, timing.describe(1000, "ms"), modules[name], f"{number(ratio)}×")
        if name != BASELINE:
            ratios[name] = ratio
    result.goals.append(every_handler("source, bytecode cached", ratios))
    result.notes.append(
        f"Source: median of {repeats} fresh interpreters per handler (round-robin), range in "
        f"brackets; CPython {sys.version.split()[0]} from the project's virtual environment."
    )
    runtime = runtime_site_packages(LAMBDA_PYTHON)
    if not BUILD.is_dir() or runtime is None:
        result.notes.append(
            "As deployed: skipped (needs `.aws-sam/build` and a Python 3.12 with boto3 at "
            f"{LAMBDA_PYTHON} or $SCRIBA_LAMBDA_PYTHON: `bash scripts/check-iac.sh` makes both)."
        )
    else:
        deployed = Table(
            [
                "function",
                "as built, ms",
                "vs boto3 only",
                "everything byte-compiled, ms",
                "vs boto3 only",
            ]
        )
        with tempfile.TemporaryDirectory(prefix="scriba-bench-deployed-") as folder:
            baseline_target = {
                BASELINE: Handler(ROOT / "bench", "boto3_handler.handler", {}, (runtime,))
            }
            plain = deployed_copies(BUILD, Path(folder), compiled=False) | baseline_target
            compiled = deployed_copies(BUILD, Path(folder), compiled=True)
            as_built, _ = round_robin(LAMBDA_PYTHON, plain, {}, deployed_repeats, ["-B", "-I"])
            precompiled, _ = round_robin(
                LAMBDA_PYTHON, compiled, {}, deployed_repeats, ["-B", "-I"]
            )
        runtime_baseline = as_built[BASELINE].median
        deployed_ratios: dict[str, float] = {}
        compiled_ratios: dict[str, float] = {}
        for name in compiled:
            slow, fast = as_built[name], precompiled[name]
            deployed_ratios[name] = slow.median / runtime_baseline
            compiled_ratios[name] = fast.median / runtime_baseline
            deployed.add(
                name,
                slow.describe(1000, "ms"),
                f"{number(deployed_ratios[name])}×",
                fast.describe(1000, "ms"),
                f"{number(compiled_ratios[name])}×",
            )
        result.goals.append(every_handler("as deployed (sam build output)", deployed_ratios))
        result.goals.append(
            every_handler("as deployed, function packages byte-compiled too", compiled_ratios)
        )
        deployed.add(BASELINE, as_built[BASELINE].describe(1000, "ms"), "1×", "–", "–")
        result.notes.append(
            "As deployed: the `sam build` packages with Python 3.12 writing no bytecode (Lambda's "
            "`/var/task` and `/opt` are read-only, so only bytecode shipped in the package "
            "counts: layer/Makefile byte-compiles the layer; sam's pip builder leaves the "
            f"functions' own packages as source), median of {deployed_repeats} runs, with "
            f"{LAMBDA_PYTHON} standing in for the runtime; baseline: boto3 from that runtime, "
            "byte-compiled as in Lambda's. The layer ships its own boto3, which comes first on "
            "the path, so the handlers import that one.\n\n" + deployed.markdown() + "\n"
        )
    result.notes.append(
        "Where an import's time goes: `SCRIBA_ENGINES=aws LAMBDA_TASK_ROOT=/var/task "
        "POWERTOOLS_TRACE_DISABLED=true .venv/bin/python -X importtime -c 'import sys; "
        "sys.path.insert(0, \"functions/extract\"); import app' 2>&1 | sort -t'|' -k2 -n | tail`."
    )
    return result


if __name__ == "__main__":
    run_alone(measure)
