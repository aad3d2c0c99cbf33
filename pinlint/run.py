"""The run loop of ``pinlint check``: discover the files, lint them (cache, worker processes),
settle the project-wide conditions, then write the report (or the noqa comments).

``cli`` turns options into ``Settings`` and a ``RunRequest`` and calls ``run``, which returns the
exit code. Errors the user can fix are raised as ``UserError`` (one line, exit 2).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import click

from pinlint.cache import CACHE_DIR, Cache, file_key, run_fingerprint
from pinlint.catalog import Rule, load_catalog, rules_directory
from pinlint.config import KEYS, MACHINE_FORMATS, Settings, SettingsResolver, resolve_selection
from pinlint.declarations import Declarations, FileNote, find_declarations
from pinlint.discover import Ignored, discover, discover_per_settings, is_excluded, sources_in
from pinlint.engine import FileResult, Linter, project_conditions
from pinlint.index.project import ProjectIndex
from pinlint.infra import is_infrastructure_path
from pinlint.model import Finding
from pinlint.paths import nearest_ancestor
from pinlint.project import ProjectFacts, settle
from pinlint.projectfacts import ProjectReader
from pinlint.report import (
    STATISTICS_FORMATS,
    FileFindings,
    ReportOptions,
    fixable_line,
    group_by_file,
    render_statistics,
    summary_line,
    write_report,
)
from pinlint.report.stream import file_stream, stdout_stream
from pinlint.report.text import printable
from pinlint.targets import TargetMap

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
STDIN = "-"
PARALLEL_MIN_FILES = 64


class UserError(Exception):
    """Something the user can fix: reported as one line, exit 2."""


@dataclass(frozen=True)
class RunRequest:
    """What ``pinlint check`` was asked to do, beyond the settings."""

    paths: tuple[str, ...]
    stdin_filename: str | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    add_noqa: bool = False
    fix: bool = False  # --fix: apply the safe fixes (pinlint.fix.apply)
    unsafe_fixes: bool = False  # --unsafe-fixes: the unsafe ones too
    diff: bool = False  # --diff: print the fixes as a diff, write nothing
    show_fixes: bool = False  # --show-fixes: list what --fix fixed
    show_files: bool = False
    output_file: str | None = None


def selected_rules(settings: Settings) -> tuple[Rule, ...]:
    """The rules the settings select, for the targets they name, with the pooler's knobs applied."""
    setup = settings.pooler_setup
    selected = (rule.for_setup(setup) for rule in resolve_selection(settings, load_catalog()))
    return tuple(rule for rule in selected if rule.applies_to(settings.targets))


def run(settings: Settings, request: RunRequest, resolver: SettingsResolver | None = None) -> int:
    """Lint what ``request`` names, each file with its own settings from ``resolver`` (without
    one, ``settings`` for every file); report with ``settings`` (the first path's: output format,
    exit code and the other run-wide choices); return the exit code."""
    with warnings.catch_warnings():
        _ignore_code_warnings()
        return _run(settings, request, resolver or SettingsResolver(settings.config_file, default_root=settings.root))


def _run(settings: Settings, request: RunRequest, resolver: SettingsResolver) -> int:
    if settings.statistics and settings.output_format not in STATISTICS_FORMATS and not request.add_noqa:
        raise UserError(
            f"--statistics is written as a table or as JSON: use --output-format "
            f"{', '.join(STATISTICS_FORMATS)} (not {settings.output_format})"
        )
    rules = selected_rules(settings)
    paths = list(request.paths)
    sources = _Sources()
    gitignored: Sequence[Ignored] = ()  # what a .gitignore skipped in discovery's walk
    ignored_handlers: list[str] = []  # declared handlers' files among them
    linters: dict[int, Linter] = {}  # by id of the settings (one object per configuration)
    fixing = request.fix or request.diff
    if request.add_noqa and fixing:
        raise UserError("--add-noqa cannot be combined with --fix or --diff")
    if paths == [STDIN]:
        if request.add_noqa:
            raise UserError("--add-noqa edits files: it cannot work on stdin")
        display = request.stdin_filename or STDIN
        linter = Linter(
            rules,
            settings,
            _declarations([Path(display)], settings),
            ProjectReader(),
            targets=_targets([], [Path(display)], settings),
            named=frozenset({os.path.abspath(display)}),
        )
        linters[id(settings)] = linter
        text = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
        sources = _Sources(display, text)
        if request.stdin_filename and settings.force_exclude and is_excluded(Path(display), settings):
            results: list[FileResult] = []  # as ruff: an excluded --stdin-filename reports nothing
        else:
            try:
                results = [linter.lint_source(text.encode("utf-8", errors="surrogateescape"), display)]
            except UnicodeEncodeError:
                results = [FileResult(display, error="not valid UTF-8; skipped")]
    else:
        groups = discover_per_settings(paths, resolver)
        for warning in groups.warnings:
            warn(warning)
        if groups.missing:
            raise UserError(f"path `{groups.missing[0]}` does not exist")
        if request.show_files:
            with stdout_stream() as stdout:
                stdout.writelines(f"{printable(path.as_posix())}\n" for path in groups.files)
            return EXIT_CLEAN
        results = []
        gitignored = groups.ignored
        infrastructure: list[FileResult] = []
        caches: dict[tuple[Path, Path], Cache] = {}
        projects = ProjectReader(groups.files, _covered(paths))
        named = frozenset(os.path.abspath(path) for path in paths if path.endswith((".py", ".pyi")))
        for group in groups.groups:
            group_settings = group.settings
            group_rules = rules if group_settings is settings else selected_rules(group_settings)
            cache = None
            if not request.no_cache:
                where = (_cache_directory(group_settings, request.cache_dir), group_settings.root)
                if where not in caches:
                    caches[where] = Cache(*where)
                    for warning in caches[where].warnings:
                        warn(warning)
                cache = caches[where]
            noted = cache.noted if cache is not None else None
            declarations = _declarations(group.files, group_settings, groups.infrastructure, paths, noted)
            ignored_handlers += _warn_ignored_handlers(declarations, groups.ignored)
            targets = _targets(
                group.infrastructure + [file for file in group.files if is_infrastructure_path(file.name)],
                group.files,
                group_settings,
            )
            root = str(group_settings.root)
            index = ProjectIndex(root, cache.stats, cache.summaries) if cache is not None else ProjectIndex(root)
            linter = Linter(
                group_rules, group_settings, declarations, projects, targets=targets, index=index, named=named
            )
            linters[id(group_settings)] = linter
            results.extend(lint_files(linter, group.files, cache))
            infrastructure.extend(linter.lint_infrastructure(group.infrastructure))
        for cache in caches.values():
            cache.save()
        if len(groups.groups) > 1:
            results.sort(key=lambda result: result.path)
        results.extend(infrastructure)
        rules = _all_rules(rules, [linter.rules for linter in linters.values()])

    findings: list[Finding] = sorted(
        (finding for result in results for finding in result.findings), key=lambda finding: finding.sort_key
    )
    covered = _covered(paths)
    known = {os.path.abspath(result.path): result.project_keys for result in results if result.project_keys}
    conditions, facts = project_conditions(rules), ProjectFacts(settings, known, covered)
    findings = settle(findings, conditions, facts)
    for result in results:
        if result.error:
            warn(f"{printable(result.path)}: {result.error}")
        elif result.note and not settings.quiet:
            click.echo(f"pinlint: note: {printable(result.path)}: {result.note}", err=True)
    if request.add_noqa:
        from pinlint.addnoqa import add_noqa_to_files

        primary = linters.get(id(settings)) or next(iter(linters.values()))
        code = add_noqa_to_files(
            primary, findings, warn, lambda path: linters.get(id(resolver.for_path(path)), primary)
        )
        return EXIT_CLEAN if settings.exit_zero else code

    outcome = None
    if fixing:
        from pinlint.fix.apply import FixOptions, fix_files, fix_stdin, write_diffs

        primary = linters.get(id(settings)) or next(iter(linters.values()))
        fix_options = FixOptions(unsafe=request.unsafe_fixes, diff=request.diff)

        def settled(found: list[Finding]) -> list[Finding]:  # a re-linted file's findings, as the run settles them
            return settle(found, conditions, facts)

        if paths == [STDIN]:  # as ruff: the fixed text (or its diff) on stdout, the findings left on stderr
            pending = fix_stdin(
                sources.stdin_text, sources.stdin_name, fix_options, primary, settled, warn, settings.quiet
            )
            return EXIT_FINDINGS if pending and not settings.exit_zero else EXIT_CLEAN
        outcome = fix_files(
            findings, fix_options, lambda path: linters.get(id(resolver.for_path(path)), primary), settled, warn
        )
        if request.diff:  # printed, nothing written: the exit code says whether there was a fix
            return EXIT_FINDINGS if write_diffs(outcome, settings.quiet) and not settings.exit_zero else EXIT_CLEAN
        findings = outcome.remaining

    use_color = _use_color(settings.color) and request.output_file is None
    files = group_by_file(findings)
    with stdout_stream() as stdout:
        if settings.statistics:
            report = render_statistics(findings, settings.output_format)
            if request.output_file is None:
                stdout.write(report)
            else:
                with file_stream(Path(request.output_file)) as out:
                    out.write(report)
        else:
            options = ReportOptions(
                color=use_color,
                source_lines=sources,
                rules=rules,
                root=_repository_root(),
                checked=[result.path for result in results if not result.error],
                skipped=[(result.path, result.error) for result in results if result.error],
                unsafe_fixes=request.unsafe_fixes,
            )
            if request.output_file is None:
                _write_findings(stdout, files, settings.output_format, options)
            else:
                with file_stream(Path(request.output_file)) as out:
                    _write_findings(out, files, settings.output_format, options)
        if settings.output_format not in MACHINE_FORMATS and not settings.quiet:
            if findings and settings.output_format == "full" and not settings.statistics:
                stdout.write("\n")
            if outcome is not None and request.show_fixes:
                stdout.write(outcome.fixes_text({rule.code: rule.name for rule in rules}))
            skipped = sum(1 for result in results if result.error)
            fixed = outcome.fixed_count if outcome is not None else 0
            hint = fixable_line(findings, request.unsafe_fixes)  # on the summary's line: it stays the last
            summary = summary_line(findings, len(results) - skipped, skipped, fixed=fixed)
            gitignore_hint = _gitignore_hint(results, gitignored, ignored_handlers)
            summary = f"{summary} {gitignore_hint}" if gitignore_hint else summary
            stdout.write(f"{summary} {hint}\n" if hint else summary + "\n")
    if findings and not settings.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _warn_ignored_handlers(declarations: Declarations, ignored: Sequence[Ignored]) -> list[str]:
    """One warning per declared handler whose file a .gitignore skipped (so it is not checked);
    the files, as shown."""
    found = []
    for path, entries in sorted(declarations.by_file.items()) if ignored else ():
        entry = next((entry for entry in ignored if entry.holds(path)), None)
        if entry is None or not os.path.isfile(path):
            continue
        shown = _shown_path(path)
        for declaration in entries:
            warn(
                f"{shown}: the handler `{declaration.function}` ({declaration.reason}) is not checked: "
                f"{_shown_path(entry.gitignore)} skips `{entry.shown}` (--no-respect-gitignore checks it)"
            )
        found.append(shown)
    return found


def _gitignore_hint(results: Sequence[FileResult], ignored: Sequence[Ignored], handlers: Sequence[str]) -> str:
    """The summary's hint when a .gitignore skipped a declared handler's file, or when no Python or
    SQL file was checked and a .gitignore skipped some (``""`` otherwise)."""
    if handlers:
        files = f"{len(handlers)} declared handlers' files" if len(handlers) > 1 else "a declared handler's file"
        return f"A .gitignore skipped {files} ({handlers[0]}): `--no-respect-gitignore` checks {_them(len(handlers))}."
    if not ignored or any(not is_infrastructure_path(Path(result.path).name) for result in results):
        return ""
    counted = [(entry, sources_in(entry)) for entry in ignored]
    holding = [(entry, count) for entry, count in counted if count]
    if not holding:
        return ""
    total = sum(count for _, count in holding)
    where = ", ".join(f"`{entry.shown}`" for entry, _ in holding[:3]) + (", ..." if len(holding) > 3 else "")
    files = "1 Python or SQL file" if total == 1 else f"{total} Python and SQL files"
    return f"A .gitignore skipped {files} ({where}): `--no-respect-gitignore` checks {_them(total)}."


def _them(count: int) -> str:
    return "it" if count == 1 else "them"


def _shown_path(path: str) -> str:
    """An absolute path as messages show it: relative to the current directory when below it."""
    relative = os.path.relpath(path)
    return Path(relative if not relative.startswith("..") else path).as_posix()


def _covered(paths: Sequence[str]) -> tuple[str, ...]:
    """The directories the run walks whole (a trailing separator each)."""
    return tuple(os.path.join(os.path.abspath(path), "") for path in paths if os.path.isdir(path))


def _all_rules(rules: tuple[Rule, ...], per_group: list[tuple[Rule, ...]]) -> tuple[Rule, ...]:
    """Every rule some group of files ran (the report describes them), ``rules`` first."""
    chosen = {rule.code: rule for rule in rules}
    for group in per_group:
        for rule in group:
            chosen.setdefault(rule.code, rule)
    return tuple(chosen.values())


def _write_findings(out: TextIO, files: list[FileFindings], output_format: str, options: ReportOptions) -> None:
    write_report(out, files, output_format, options)
    if output_format == "full" and os.environ.get("GITHUB_ACTIONS") == "true":
        write_report(out, files, "github", options)


def warn(message: str) -> None:
    click.echo(f"pinlint: warning: {message}", err=True)


def _use_color(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


class _Sources:
    """Source lines for code frames, read on demand, the last file kept (stdin is kept in memory).
    Lines end where Python's do (``\\n``, ``\\r\\n``, ``\\r``), as the positions of findings count them."""

    def __init__(self, stdin_name: str = "", stdin_text: str = "") -> None:
        self.stdin_name = stdin_name
        self.stdin_text = stdin_text
        self.last: tuple[str, list[str]] = ("", [])

    def __call__(self, path: str) -> list[str]:
        if self.last[0] != path or not path:
            if self.stdin_name and path == self.stdin_name:
                text = self.stdin_text
            else:
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    data = b""
                text = data.decode("utf-8", errors="replace")
            self.last = (path, text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        return self.last[1]


_WORKER_LINTER: Linter | None = None


def _start_worker(linter: Linter, parent: int) -> None:
    global _WORKER_LINTER
    _WORKER_LINTER = linter
    _ignore_code_warnings()
    _die_with(parent)


def _die_with(parent: int) -> None:
    """End this worker when pinlint's main process ends, however it ends (a CI job's timeout
    kills it, not its workers): on Linux the kernel sends SIGKILL (``PR_SET_PDEATHSIG``), so a
    worker busy on one file cannot outlive the run. Elsewhere a worker ends after its file."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            return
    if os.getppid() != parent:  # the main process ended before the line above ran
        os._exit(1)


def _ignore_code_warnings() -> None:
    """What the interpreter warns about the code being linted (``SyntaxWarning: invalid escape
    sequence``, printed by ``ast.parse`` on Python 3.12+ at every parse) is not pinlint's to say."""
    warnings.simplefilter("ignore", SyntaxWarning)
    warnings.simplefilter("ignore", DeprecationWarning)


def _lint_in_worker(path: Path) -> FileResult:
    assert _WORKER_LINTER is not None
    return lint_one(_WORKER_LINTER, path)


def lint_one(linter: Linter, path: Path) -> FileResult:
    """Lint one file. An exception that escapes the linter (a bug in pinlint or in a parser it
    calls) costs that file only: it becomes the file's warning, and the run goes on
    (PINLINT_DEBUG=1 lets it through, with its traceback)."""
    try:
        return linter.lint_path(path, path.as_posix())
    except Exception as error:
        if os.environ.get("PINLINT_DEBUG"):
            raise
        first_line = (str(error).strip().splitlines() or [""])[0][:200]
        detail = f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__
        return FileResult(path.as_posix(), error=f"internal error: {detail}; skipped")


def lint_files(linter: Linter, files: list[Path], cache: Cache | None = None) -> list[FileResult]:
    """Lint ``files`` in order; results of unchanged files come from ``cache``; on several cores
    and many files to lint, in worker processes."""
    results: list[FileResult | None] = [None] * len(files)
    keys: dict[int, str] = {}
    if cache is not None:
        run = _run_fingerprint(linter)
        declarations = linter.declarations or Declarations()
        for index, path in enumerate(files):
            digest = cache.digest(path)
            if digest is None:
                continue  # lint_path reports it
            handlers = sorted((d.function, d.reason) for d in declarations.for_file(path))
            routes = linter.targets.key(path) if linter.targets is not None else []
            named = os.path.abspath(path) in linter.named  # its syntax is checked (Linter.named)
            served = declarations.lambda_settings.get(os.path.abspath(path), "")  # a Django settings module's Lambda
            extra = json.dumps(
                [path.as_posix(), handlers, declarations.covers(path), linter.project_key(path), routes, named, served]
            )
            keys[index] = key = file_key(digest, run, extra)
            found = cache.get(key, path.as_posix())
            results[index] = found if found is None or cache.unchanged(found) else None
    todo = [index for index, result in enumerate(results) if result is None]
    fresh = _lint_paths(linter, [files[index] for index in todo])
    for index, result in zip(todo, fresh, strict=True):
        results[index] = result
        if cache is not None and index in keys:
            cache.put(keys[index], result)
        if cache is not None:
            cache.put_summaries(result.summaries)
    return [result for result in results if result is not None]


def _lint_paths(linter: Linter, files: list[Path]) -> list[FileResult]:
    try:  # PINLINT_WORKERS=1 lints in this process (the benchmark compares both)
        workers = max(int(os.environ.get("PINLINT_WORKERS", "0")), 0) or min(os.cpu_count() or 1, 8)
    except ValueError:
        workers = min(os.cpu_count() or 1, 8)
    if workers > 1 and len(files) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(
                max_workers=workers, initializer=_start_worker, initargs=(linter, os.getpid())
            ) as pool:
                return list(pool.map(_lint_in_worker, files, chunksize=8))
        except (OSError, BrokenProcessPool):
            pass  # no processes here (a sandbox, a killed worker): lint in this process
    return [lint_one(linter, path) for path in files]


def _cache_directory(settings: Settings, option: str | None) -> Path:
    if option:
        return Path(option)
    if settings.cache_dir:
        return settings.project_root / settings.cache_dir
    return settings.project_root / CACHE_DIR


def cache_directory(settings: Settings) -> Path:
    """Where the result cache of the project of ``settings`` lives (``pinlint clean``)."""
    return _cache_directory(settings, None)


def _run_fingerprint(linter: Linter) -> str:
    directory = rules_directory()
    rule_files = []
    for rule in linter.rules:
        try:
            content = (directory / rule.file).read_bytes()
        except OSError:
            content = rule.file.encode()
        rule_files.append((rule.file, hashlib.sha256(content).hexdigest(), json.dumps(rule.targets, sort_keys=True)))
    return run_fingerprint(settings_text(linter.settings, RESULT_KEYS), sorted(rule_files))


def _targets(infrastructure: list[Path], files: list[Path], settings: Settings) -> TargetMap | None:
    """With ``--target auto``: the pooler of each function the project declares (pinlint.targets)."""
    if not settings.auto_target:
        return None
    from pinlint.infra.targets import find_targets

    return find_targets(infrastructure, files, settings)


def _declarations(
    files: list[Path],
    settings: Settings,
    infrastructure: Sequence[Path] = (),
    walked: Sequence[str] = (),
    noted: FileNote | None = None,
) -> Declarations:
    """Handler declarations (serverless.yml, SAM templates, config...) covering ``files``; the
    Terraform among ``infrastructure`` (discovery's, from the paths ``walked``) when it covers
    the project."""
    origin = f"`handlers` in {settings.config_file}" if settings.config_file else "`handlers`"
    python_files = [file for file in files if file.suffix in (".py", ".pyi") or file.name == STDIN]
    found = find_declarations(python_files, settings.root, settings.handlers, origin, infrastructure, walked, noted)
    for warning in found.warnings:
        warn(warning)
    return found


# The settings that decide a file's findings (the cache key); the others choose files or output.
RESULT_KEYS = frozenset(
    {
        "select",
        "extend-select",
        "ignore",
        "target",
        "targets",
        "per-file-ignores",
        "sinks",
        "handlers",
        "pgbouncer-version",
        "max-prepared-statements",
        "track-extra-parameters",
        "ignore-startup-parameters",
        "dialect",
        "per-path-dialect",
        "per-path-target",
    }
)


def settings_text(settings: Settings, only: frozenset[str] | None = None) -> str:
    """The resolved settings, one `key = value` per line (TOML-like, for humans); with ``only``,
    just those keys."""
    lines = [f"# config file: {settings.config_file or '(none)'}", f"# root: {settings.root}"]
    if settings.dialect_origin:
        lines.append(f"# dialect set by: {settings.dialect_origin}")
    for key, (name, _, _) in sorted(KEYS.items()):
        if only is not None and key not in only:
            continue
        value = getattr(settings, name)
        if isinstance(value, tuple):
            value = list(value)
        lines.append(f"{key} = {json.dumps(value, default=str)}")
    return "\n".join(lines) + "\n"


def handlers_text(paths: Sequence[str], settings: Settings) -> str:
    """Every Lambda handler the run would analyse, one ``# handler:`` line each, with what made
    it one: a declaration and its file and line, a framework route (the framework, the decorator,
    its line, and what serves it on Lambda), or the ``lambda_handler(event, context)`` convention;
    and with ``--target auto`` a ``# pooler:`` line for each pooler its module's function goes through."""
    from pinlint.engine import decode_python
    from pinlint.extract.handlers import handler_functions  # --show-settings only
    from pinlint.files import UnreadableFile, read_bytes
    from pinlint.pymodel import ParseError, parse_python

    found = discover(list(paths), settings)
    files = [path for path in found.files if path.suffix in (".py", ".pyi")]
    declarations = find_declarations(
        files, settings.root, settings.handlers, "`handlers`", found.infrastructure, list(paths)
    )
    targets = _targets(found.infrastructure, files, settings)
    lines: list[str] = []
    for path in files:
        declared, use_convention = declarations.policy(path)
        try:
            text, problem = decode_python(read_bytes(path))
            handlers = {} if problem else handler_functions(parse_python(text), declared, use_convention)
        except (UnreadableFile, ParseError):
            continue  # the run warns about such a file
        lines.extend(f"# handler: {path.as_posix()}:{name} ({why})" for name, why in sorted(handlers.items()))
        routes = targets.for_file(path) if targets is not None and handlers else ()
        lines.extend(f"# pooler: {path.as_posix()}: {route.text}" for route in routes)
        served = declarations.lambda_settings.get(os.path.abspath(path))
        if served:  # a Django settings module whose DATABASES the Lambda rules judge
            lines.append(f"# django settings: {path.as_posix()} ({served})")
    lines = lines or ["# handler: none found"]
    lines.extend(f"# warning: {warning}" for warning in declarations.warnings)  # why a declaration was not used
    return "".join(f"{line}\n" for line in lines)


def _repository_root() -> Path:
    """Where SARIF paths are relative to: the git repository around the current directory, else it."""
    here = Path.cwd().resolve()
    repository = nearest_ancestor(here, (".git",))
    return here if repository is None else repository
