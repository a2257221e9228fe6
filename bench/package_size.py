"""Unzipped size of each function and of the layer, as ``sam build`` leaves them.

Reads ``.aws-sam/build`` (``bash scripts/check-iac.sh`` runs ``sam build`` there); without a build
the row is skipped with that advice. A function is deployed with the layer, so both its own package
and the two together are reported; the goal is checked on the function's own package.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.results import ROOT, BenchResult, Goal, Table, Verdict, print_result

GOAL_MB = 10.0
MB = 1_000_000
BUILD = ROOT / ".aws-sam" / "build"


def size(path: Path) -> int:
    """Bytes of the regular files under ``path`` (links not followed: what a zip would hold)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            file = Path(folder) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def largest_parts(path: Path, count: int = 3) -> str:
    """The biggest entries at the top of a package, e.g. ``pillow.libs 14.7 MB``."""
    root = path / "python" if (path / "python").is_dir() else path
    parts = sorted(((size(entry), entry.name) for entry in root.iterdir()), reverse=True)
    return ", ".join(f"{name} {bytes_ / MB:.1f} MB" for bytes_, name in parts[:count])


def measure(build: Path = BUILD) -> BenchResult:
    table = Table(["package", "unzipped, MB", "with the layer, MB", "largest parts"])
    result = BenchResult(key="package_size", title="Package size after `sam build`", table=table)
    if not build.is_dir() or not any(build.iterdir()):
        table.add("(no build)", "–", "–", "–")
        result.goals.append(
            Goal("every function", "no build", f"< {GOAL_MB:.0f} MB", Verdict.SKIPPED)
        )
        result.notes.append(
            f"{build} is missing: run `bash scripts/check-iac.sh` (it installs aws-sam-cli into "
            "`.tools/` and runs `sam build`), then this benchmark again."
        )
        return result
    packages = sorted(path for path in build.iterdir() if path.is_dir())
    functions = [path for path in packages if (path / "app.py").is_file()]
    layers = [path for path in packages if path not in functions]
    layer_bytes = sum(size(layer) for layer in layers)
    for layer in layers:
        table.add(f"{layer.name} (layer)", f"{size(layer) / MB:.1f}", "–", largest_parts(layer))
    for function in functions:
        own = size(function)
        table.add(
            function.name,
            f"{own / MB:.3f}",
            f"{(own + layer_bytes) / MB:.1f}",
            largest_parts(function),
        )
        result.goals.append(
            Goal.at_most(
                f"{function.name}, own package",
                own / MB,
                GOAL_MB,
                f"{own / MB:.3f} MB",
                f"< {GOAL_MB:.0f} MB",
            )
        )
    built = datetime.fromtimestamp(build.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    result.notes += [
        f"Read from {build.relative_to(ROOT) if build.is_relative_to(ROOT) else build} "
        f"(built {built}); sizes are of the files as unzipped in Lambda (1 MB = 10^6 bytes). "
        "Lambda allows 250 MB for a function and its layers together.",
        "Every function is deployed with the layer: the second column is what Lambda unpacks.",
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="sam build's output")
    arguments = parser.parse_args()
    started = time.perf_counter()
    result = measure(arguments.build_dir)
    result.seconds = time.perf_counter() - started
    print_result(result)


if __name__ == "__main__":
    main()
