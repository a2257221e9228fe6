"""Security rules, checked on the source tree by walking its syntax trees.

- No shell: no ``shell=True``, ``os.system``, ``os.popen`` or ``create_subprocess_shell``; every
  subprocess call takes an argument list, and no element of a command line is built from a
  formatted string (user text goes on stdin or in a file, never on a command line).
- No document content in logs at INFO or above (what Lambda keeps by default): a log call's
  arguments never hold a document's text, words, lines, sentences or summary, other than
  through a count such as ``len(text)``.

Each rule is also run on a small bad example, to show that it catches what it should.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Production code: the library, the Lambda handlers, the scripts and benchmarks people run.
CODE = [ROOT / "src", ROOT / "functions", ROOT / "scripts", ROOT / "bench"]

SUBPROCESS_CALLS = frozenset(
    {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"}
)
SHELL_FUNCTIONS = frozenset(
    {("os", "system"), ("os", "popen"), ("asyncio", "create_subprocess_shell")}
)
SHELL_PREFIXES = ("os.exec", "os.spawn", "commands.")
LOG_METHODS = frozenset({"info", "warning", "warn", "error", "exception", "critical", "log"})
# Names that hold what a document says (its text, or text made from it).
CONTENT_NAMES = frozenset(
    {
        "text",
        "plain",
        "plain_text",
        "words",
        "lines",
        "sentences",
        "sentence",
        "summary",
        "translation",
        "translated",
        "chunk",
        "chunks",
        "sample",
        "body",
        "content",
        "payload",
    }
)
# Calls that reduce content to a number or a flag: logging their result is fine.
COUNTING_CALLS = frozenset({"len", "sum", "bool", "round", "int", "float", "count", "word_count"})


def python_files() -> Iterator[Path]:
    for folder in CODE:
        if folder.is_dir():
            yield from (
                path
                for path in sorted(folder.rglob("*.py"))
                if ".venv" not in path.parts and "site-packages" not in path.parts
            )


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _scopes(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    """Each call's enclosing function (or the module)."""
    found: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if isinstance(child, ast.Call):
                found[child] = scope
            visit(child, inner)

    visit(tree, tree)
    return found


def _assigned_values(scope: ast.AST, name: str) -> list[ast.expr]:
    """Every value assigned to ``name`` in ``scope`` (``command = [...]``)."""
    values: list[ast.expr] = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                values.append(node.value)
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
            and node.value is not None
        ):
            values.append(node.value)
    return values


def _formatted(node: ast.AST) -> bool:
    """An f-string, a ``%`` or ``+`` of strings, or a ``.format``/``.join`` call."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return True
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("format", "join")
    )


def shell_problems(source: str, name: str) -> list[str]:
    """Every breach of the no-shell rules in ``source``."""
    tree = ast.parse(source, filename=name)
    scopes = _scopes(tree)
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            problems += _call_shell_problems(node, f"{name}:{node.lineno}", scopes)
    if _imports_subprocess(tree):
        problems += _helper_argument_problems(tree, name)
    return problems


def _imports_subprocess(tree: ast.AST) -> bool:
    """Whether the module can start programs: it imports ``subprocess``, or the one helper the
    local engines run their programs through."""
    return any(
        (
            isinstance(node, (ast.Import, ast.ImportFrom))
            and any(alias.name.split(".")[0] == "subprocess" for alias in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and node.module == "subprocess")
        or (isinstance(node, ast.ImportFrom) and node.module == "scriba.engines.local.programs")
        for node in ast.walk(tree)
    )


def _call_shell_problems(call: ast.Call, where: str, scopes: dict[ast.AST, ast.AST]) -> list[str]:
    """The breaches of one call: a shell asked for, a function that runs one, and for a
    ``subprocess`` call, a command that is not an argument list of plain elements."""
    called = _dotted(call.func)
    problems = [
        f"{where}: shell= other than False"
        for keyword in call.keywords
        if keyword.arg == "shell"
        and not (isinstance(keyword.value, ast.Constant) and keyword.value.value is False)
    ]
    if tuple(called.split(".")[-2:]) in SHELL_FUNCTIONS or called.startswith(SHELL_PREFIXES):
        problems.append(f"{where}: {called} runs a shell or replaces the process")
    if called.startswith("subprocess.") and called.split(".")[1] in SUBPROCESS_CALLS:
        problems += _subprocess_problems(call, called, where, scopes)
    return problems


def _subprocess_problems(
    call: ast.Call, called: str, where: str, scopes: dict[ast.AST, ast.AST]
) -> list[str]:
    """The breaches of a ``subprocess`` call: one that always runs a shell, or a command that
    is not an argument list, or one with an element built from a formatted string."""
    if called.split(".")[1] in ("getoutput", "getstatusoutput"):
        return [f"{where}: {called} always runs a shell"]
    command = _command_argument(call)
    if command is None:
        return [f"{where}: {called} without an argument list"]
    # A name stands for what its scope assigns to it: every value must be a list.
    commands = (
        _assigned_values(scopes[call], command.id) if isinstance(command, ast.Name) else []
    ) or [command]
    problems: list[str] = []
    for value in commands:
        if isinstance(value, (ast.List, ast.Tuple)):
            problems += _formatted_argument_problems(value.elts, where)
        else:
            problems.append(f"{where}: {called} without an argument list")
    return problems


def _command_argument(call: ast.Call) -> ast.expr | None:
    """The command a ``subprocess`` call runs: its first argument, or its ``args=``."""
    command = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "args":
            command = keyword.value
    return command


def _helper_argument_problems(tree: ast.AST, name: str) -> list[str]:
    """Argument lists handed to helpers (``self._run(["-v", voice, ...])``): a list literal with
    an option in it is a command line, and follows the same rule as one given to ``subprocess``."""
    problems: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for argument in node.args:
            if isinstance(argument, ast.List) and any(
                isinstance(e, ast.Constant) and str(e.value).startswith("-") for e in argument.elts
            ):
                problems += _formatted_argument_problems(argument.elts, f"{name}:{node.lineno}")
    return problems


def _formatted_argument_problems(elements: list[ast.expr], where: str) -> list[str]:
    return [
        f"{where}: a command-line argument built from a formatted string"
        for element in elements
        if _formatted(element)
    ]


def _content_references(node: ast.AST, called: bool = False) -> Iterator[str]:
    """Content an expression reads, except through a counting call. ``x.field`` reads only
    ``field`` (``summary.method`` is not the summary's text); a method call reads its object
    (``text.strip()`` is the text)."""
    if isinstance(node, ast.Call):
        if _dotted(node.func).split(".")[-1] in COUNTING_CALLS:
            return
        yield from _content_references(node.func, called=True)
        for child in [*node.args, *(keyword.value for keyword in node.keywords)]:
            yield from _content_references(child)
        return
    if isinstance(node, ast.Name):
        if node.id in CONTENT_NAMES:
            yield node.id
        return
    if isinstance(node, ast.Attribute):
        if node.attr in CONTENT_NAMES:
            yield _dotted(node) or node.attr
        elif called:
            yield from _content_references(node.value)
        return
    for part in ast.iter_child_nodes(node):
        yield from _content_references(part)


def _is_logger(node: ast.expr) -> bool:
    name = _dotted(node).split(".")[-1].lower()
    return "log" in name


def _below_info(call: ast.Call) -> bool:
    """``logger.log(logging.DEBUG, ...)``: a level below INFO."""
    level = call.args[0] if call.args else None
    return isinstance(level, ast.Attribute) and level.attr == "DEBUG"


# Reviewed exceptions: (file, log message, name) -> why the name holds no document content.
NOT_CONTENT = {
    ("src/scriba/engines/aws/textract.py", "Textract job %s: %s", "text"): (
        "a warning code and page numbers from warnings_of(), not the document's text"
    ),
}


def logging_problems(source: str, name: str) -> list[str]:
    """Log calls at INFO or above whose arguments hold document content."""
    problems: list[str] = []
    for node in ast.walk(ast.parse(source, filename=name)):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in LOG_METHODS
            and _is_logger(node.func.value)
        ):
            continue
        if node.func.attr == "log" and _below_info(node):
            continue
        arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
        message = next(
            (
                a.value
                for a in arguments
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            ),
            None,
        )
        for argument in arguments:
            for reference in _content_references(argument):
                if (name, message, reference) in NOT_CONTENT:
                    continue
                problems.append(
                    f"{name}:{node.lineno}: logger.{node.func.attr} logs {reference}: "
                    "document content stays out of logs at INFO and above (log a count, or "
                    "use DEBUG)"
                )
    return problems


def _source(path: Path) -> tuple[str, str]:
    return path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))


def test_the_rules_look_at_the_code() -> None:
    files = list(python_files())
    assert len(files) > 30
    assert any(path.name == "apertium.py" and "local" in path.parts for path in files)


def test_no_shell_and_argument_lists_only() -> None:
    problems = [problem for path in python_files() for problem in shell_problems(*_source(path))]
    assert problems == []


def test_the_external_programs_get_their_text_on_stdin() -> None:
    """espeak-ng and Apertium are the programs scriba runs, through ``run_program``, whose
    ``subprocess.run`` passes ``input=``; the engines pass the text as its ``stdin``."""
    helper = "src/scriba/engines/local/programs.py"
    tree = ast.parse((ROOT / helper).read_text(encoding="utf-8"))
    runs = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and _dotted(node.func) == "subprocess.run"
    ]
    assert runs, helper
    for call in runs:
        assert any(keyword.arg == "input" for keyword in call.keywords), helper
    for relative in ("src/scriba/engines/local/speech.py", "src/scriba/engines/local/apertium.py"):
        tree = ast.parse((ROOT / relative).read_text(encoding="utf-8"))
        calls = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and _dotted(node.func) == "run_program"
        ]
        assert calls, relative
        for call in calls:
            assert len(call.args) == 3, relative  # program, arguments, then the text for stdin


def test_no_document_content_in_logs() -> None:
    problems = [problem for path in python_files() for problem in logging_problems(*_source(path))]
    assert problems == []


@pytest.mark.parametrize(
    "bad",
    [
        "import subprocess\nsubprocess.run('tesseract ' + path, shell=True)",
        "import subprocess\nsubprocess.check_output(f'espeak-ng {text}')",
        "import os\nos.system('apertium eng-spa < in.txt')",
        "import os\nos.popen('ls')",
        "import subprocess\nsubprocess.getoutput('ls')",
        "import subprocess\ncommand = 'ls -l'\nsubprocess.run(command)",
        "import subprocess\ndef f(x):\n    command = ['ls']\n    command = 'ls ' + x\n"
        "    subprocess.run(command)",
        "import subprocess\nsubprocess.run(['espeak-ng', '-v', f'{voice}', text])\n",
        "import subprocess\nsubprocess.Popen(args=['apertium', '-u', mode + suffix])",
        "import subprocess\ndef speak(self):\n    self._run(['-v', '--text=' + text])",
    ],
)
def test_the_shell_rules_catch_a_bad_example(bad: str) -> None:
    assert shell_problems(bad, "bad.py")


@pytest.mark.parametrize(
    "bad",
    [
        "logger.info('text: %s', text)",
        "logger.info('summary %s', summary.text)",
        "logger.warning(f'{document.plain_text[:80]}')",
        "log.error('failed on %r', page.lines)",
        "logger.log(logging.INFO, 'said %s', translation.text)",
        "logger.info('%s', ' '.join(sentences))",
        "logger.info('first words: %s', page.text.strip()[:40])",
        "logger.info('said %s', text.upper())",
    ],
)
def test_the_logging_rule_catches_a_bad_example(bad: str) -> None:
    assert logging_problems(bad, "bad.py")


@pytest.mark.parametrize(
    "fine",
    [
        "logger.info('%s: %d characters', name, len(text))",
        "logger.debug('text %s', text)",
        "logger.log(logging.DEBUG, 'text %s', text)",
        "logger.info('%d words', page.word_count)",
        "logger.warning('%s failed: %s', key, failure.reason)",
        "logger.info('%s: %s', document.name, summary.method.value)",
        "logger.info('%d sentences', len(summary.sentences))",
    ],
)
def test_the_logging_rule_lets_counts_and_debug_through(fine: str) -> None:
    assert logging_problems(fine, "fine.py") == []
