"""Running the external programs behind the local engines (espeak-ng, Apertium).

Always an argument list, never a shell string: document text goes on stdin, never on the command
line. Every way the program can fail becomes ``EngineFailed`` naming the program and what it was
doing.
"""

from __future__ import annotations

import subprocess

from scriba.errors import EngineFailed


def run_program(
    executable: str,
    arguments: list[str],
    stdin: bytes,
    *,
    program: str,
    package: str,
    purpose: str,
    timeout_seconds: float,
    detail: str = "",
) -> bytes:
    """What ``executable`` run with ``arguments`` writes to stdout given ``stdin``.

    ``program`` and ``package`` name it in errors (the Debian package installs it); ``purpose``
    completes "did not ... within" and "failed to ..."; ``detail`` is added to the timeout
    message (the size of the input, say).
    """
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, text on stdin
            [executable, *arguments],
            input=stdin,
            capture_output=True,
            timeout=timeout_seconds,
            check=False,
        )
    except FileNotFoundError as error:
        raise EngineFailed(
            f"{executable} is not installed (Debian package {package}): {error}"
        ) from error
    except subprocess.TimeoutExpired as error:
        raise EngineFailed(
            f"{program} did not {purpose} within {timeout_seconds:g} s{detail}"
        ) from error
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        raise EngineFailed(
            f"{program} failed to {purpose} (exit status {completed.returncode}): "
            f"{stderr or 'no message'}"
        )
    return completed.stdout
