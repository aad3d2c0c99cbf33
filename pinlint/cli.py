"""The command line: ``pinlint check``, ``pinlint rule``, ``pinlint --version``.

This module owns option parsing, exit codes and where output goes; the pipeline stages
(discover, engine, report) do the work. Errors the user can fix are one line on stderr
(``pinlint: error: ...``) and exit 2; a traceback is shown only with PINLINT_DEBUG=1.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import tokenize
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from pinlint import __version__
from pinlint.cache import CACHE_DIR, Cache, file_key, run_fingerprint
from pinlint.catalog import CatalogError, Rule, load_catalog, rules_directory
from pinlint.config import (
    KEYS,
    MACHINE_FORMATS,
    OUTPUT_FORMATS,
    TARGET_CHOICES,
    ConfigError,
    Settings,
    apply_values,
    load_settings,
    resolve_selection,
)
from pinlint.declarations import Declarations, find_declarations
from pinlint.discover import discover
from pinlint.engine import FileResult, Linter, decode_python, project_conditions
from pinlint.extract.sqlfile import decode_sql
from pinlint.model import Finding
from pinlint.project import ProjectFacts, settle
from pinlint.report import render, render_statistics, summary_line
from pinlint.sql.lexer import DIALECTS

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
STDIN = "-"


class UserError(Exception):
    """Something the user can fix: reported as one line, exit 2."""


def _codes(values: Sequence[str]) -> list[str]:
    """``--select A,B --select C`` -> [A, B, C]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _use_color(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def _settings(
    paths: Sequence[str],
    stdin_filename: str | None,
    config_file: str | None,
    cli_values: dict[str, Any],
    extend: dict[str, list[str]],
) -> Settings:
    if stdin_filename is not None and paths == [STDIN]:
        start = Path(stdin_filename).parent
    else:
        first = Path(paths[0]) if paths else Path.cwd()
        start = first if first.is_dir() else first.parent
    settings = load_settings(Path(config_file) if config_file else None, start if start.is_dir() else Path.cwd())
    settings = apply_values(settings, cli_values, "the command line")
    return replace(
        settings,
        extend_select=(*settings.extend_select, *extend["extend_select"]),
        ignore=(*settings.ignore, *extend["ignore"]),
    )


class _Sources:
    """Source lines for code frames, read on demand (stdin is kept in memory)."""

    def __init__(self, stdin_name: str = "", stdin_text: str = "") -> None:
        self.stdin_name = stdin_name
        self.stdin_text = stdin_text
        self.cache: dict[str, list[str]] = {}

    def __call__(self, path: str) -> list[str]:
        if path not in self.cache:
            if self.stdin_name and path == self.stdin_name:
                text = self.stdin_text
            else:
                try:
                    data = Path(path).read_bytes()
                except OSError:
                    data = b""
                text = data.decode("utf-8", errors="replace")
            self.cache[path] = text.splitlines()
        return self.cache[path]


PARALLEL_MIN_FILES = 64
_WORKER_LINTER: Linter | None = None


def _start_worker(linter: Linter) -> None:
    global _WORKER_LINTER
    _WORKER_LINTER = linter


def _lint_in_worker(path: Path) -> FileResult:
    assert _WORKER_LINTER is not None
    return _WORKER_LINTER.lint_path(path, path.as_posix())


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
            extra = json.dumps([path.as_posix(), handlers, declarations.covers(path)])
            keys[index] = key = file_key(digest, run, extra)
            results[index] = cache.get(key, path.as_posix())
    todo = [index for index, result in enumerate(results) if result is None]
    fresh = _lint_paths(linter, [files[index] for index in todo])
    for index, result in zip(todo, fresh, strict=True):
        results[index] = result
        if cache is not None and index in keys:
            cache.put(keys[index], result)
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
            with ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(linter,)) as pool:
                return list(pool.map(_lint_in_worker, files, chunksize=8))
        except (OSError, BrokenProcessPool):
            pass  # no processes here (a sandbox, a killed worker): lint in this process
    return [linter.lint_path(path, path.as_posix()) for path in files]


def _cache_directory(settings: Settings, option: str | None) -> Path:
    if option:
        return Path(option)
    if settings.cache_dir:
        return settings.root / settings.cache_dir
    return settings.root / CACHE_DIR


def _run_fingerprint(linter: Linter) -> str:
    directory = rules_directory()
    rule_files = []
    for rule in linter.rules:
        try:
            content = (directory / rule.file).read_bytes()
        except OSError:
            content = rule.file.encode()
        rule_files.append((rule.file, hashlib.sha256(content).hexdigest(), json.dumps(rule.targets, sort_keys=True)))
    return run_fingerprint(_settings_text(linter.settings, RESULT_KEYS), sorted(rule_files))


def _declarations(files: list[Path], settings: Settings) -> Declarations:
    """Handler declarations (serverless.yml, SAM templates, config) covering ``files``."""
    origin = f"`handlers` in {settings.config_file}" if settings.config_file else "`handlers`"
    python_files = [file for file in files if file.suffix in (".py", ".pyi") or file.name == STDIN]
    found = find_declarations(python_files, settings.root, settings.handlers, origin)
    for warning in found.warnings:
        _warn(warning)
    return found


def _add_noqa(linter: Linter, findings: list[Finding]) -> int:
    """Add noqa comments file by file; a file is written only if, re-linted, it parses and is quiet."""
    from pinlint.addnoqa import add_noqa as insert_noqa

    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    added = changed = 0
    trouble = False
    for path, found in by_path.items():
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as error:
            _warn(f"{path}: cannot read: {error.strerror or error}")
            trouble = True
            continue
        is_sql = file.suffix == ".sql"
        if is_sql:
            text, note = decode_sql(data)
            encoding = "latin-1" if note else "utf-8"
        else:
            text, problem = decode_python(data)
            if problem:
                _warn(f"{path}: {problem}")
                trouble = True
                continue
            encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        edit = insert_noqa(text, found, sql=is_sql)
        for finding in edit.unplaced:
            _warn(f"{path}:{finding.line}:{finding.column}: no line can take a noqa comment for {finding.code}")
            trouble = True
        if not edit.added:
            continue
        check = linter.lint_source(edit.text, path)
        if check.error or len(check.findings) != len(edit.unplaced):
            _warn(f"{path}: adding noqa comments would not silence the findings cleanly; file left unchanged")
            trouble = True
            continue
        try:
            encoded = edit.text.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            _warn(f"{path}: cannot write back in {encoding}; file left unchanged")
            trouble = True
            continue
        _write_atomically(file, encoded)
        added += edit.added
        changed += 1
    click.echo(
        f"Added {added} noqa directive{'s' if added != 1 else ''} to {changed} file{'s' if changed != 1 else ''}."
    )
    return EXIT_FINDINGS if trouble else EXIT_CLEAN


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
    }
)


def _settings_text(settings: Settings, only: frozenset[str] | None = None) -> str:
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


def _repository_root() -> Path:
    """Where SARIF paths are relative to: the git repository around the current directory, else it."""
    here = Path.cwd().resolve()
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def _write_atomically(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same directory and rename it over ``path``, so that
    nobody ever sees half a file; an existing file keeps its permissions."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else None
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
            handle.write(data)
        if mode is not None:
            os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or error}") from None


def _warn(message: str) -> None:
    click.echo(f"pinlint: warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="pinlint", message="%(prog)s %(version)s")
def cli() -> None:
    """Find SQL and driver code that pins RDS Proxy or breaks PgBouncer transaction pooling."""


@cli.command()
@click.argument("paths", nargs=-1, type=str)
@click.option(
    "--select",
    multiple=True,
    metavar="CODES",
    help="Rules to enable (codes, prefixes or names; comma-separated). Replaces the configured selection.",
)
@click.option("--extend-select", multiple=True, metavar="CODES", help="Rules to enable on top of the selection.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Rules to disable.")
@click.option(
    "--target",
    type=click.Choice(TARGET_CHOICES),
    default=None,
    help="Keep findings that matter on this pooler (default: all).",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default=None,
    help="SQL dialect of files whose code does not say (default: postgres, or `dialect` in the config).",
)
@click.option(
    "--output-format", type=click.Choice(OUTPUT_FORMATS), default=None, help="How findings are printed (default: full)."
)
@click.option("--exit-zero", is_flag=True, default=None, help="Exit 0 even when there are findings.")
@click.option(
    "--config",
    "config_file",
    type=str,
    default=None,
    metavar="FILE",
    help="Use this config file instead of looking for one.",
)
@click.option("--statistics", is_flag=True, default=None, help="Print counts per rule instead of the findings.")
@click.option("-q", "--quiet", is_flag=True, default=None, help="Print findings only: no summary, no notes.")
@click.option(
    "--color/--no-color",
    default=None,
    help="Colour the output (default: only on a terminal, and not when NO_COLOR is set).",
)
@click.option(
    "--force-exclude",
    is_flag=True,
    default=None,
    help="Apply excludes to files named on the command line too (for pre-commit).",
)
@click.option("--no-cache", is_flag=True, help="Lint every file, and leave the cache alone.")
@click.option(
    "--cache-dir", type=str, default=None, metavar="DIR", help="Where results are cached (default: .pinlint_cache)."
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments that silence every current finding.")
@click.option("--show-files", is_flag=True, help="List the files that would be linted, and stop.")
@click.option(
    "--show-settings", is_flag=True, help="Print the settings in effect (after config and options), and stop."
)
@click.option("-o", "--output-file", type=str, default=None, metavar="FILE", help="Write the findings to FILE.")
@click.option(
    "--stdin-filename", type=str, default=None, metavar="PATH", help="With `-`, the path the text on stdin stands for."
)
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    target: str | None,
    dialect: str | None,
    output_format: str | None,
    exit_zero: bool | None,
    config_file: str | None,
    statistics: bool | None,
    quiet: bool | None,
    color: bool | None,
    force_exclude: bool | None,
    no_cache: bool,
    cache_dir: str | None,
    add_noqa: bool,
    show_files: bool,
    show_settings: bool,
    output_file: str | None,
    stdin_filename: str | None,
) -> int:
    """Lint PATHS (default: the current directory); `-` reads stdin."""
    path_list = list(paths) or ["."]
    if STDIN in path_list and len(path_list) > 1:
        raise UserError("`-` (stdin) cannot be combined with other paths")
    if stdin_filename is not None and path_list != [STDIN]:
        raise UserError("--stdin-filename needs `-` as the only path")
    cli_values: dict[str, Any] = {}
    if select:
        cli_values["select"] = _codes(select)
    for key, value in (
        ("target", target),
        ("dialect", dialect),
        ("output-format", output_format),
        ("exit-zero", exit_zero),
        ("statistics", statistics),
        ("quiet", quiet),
        ("color", color),
        ("force-exclude", force_exclude),
    ):
        if value is not None:
            cli_values[key] = value
    extend = {"extend_select": _codes(extend_select), "ignore": _codes(ignore)}
    settings = _settings(path_list, stdin_filename, config_file, cli_values, extend)
    if show_settings:
        click.echo(_settings_text(settings), nl=False)
        return EXIT_CLEAN
    setup = settings.pooler_setup
    selected = (rule.for_setup(setup) for rule in resolve_selection(settings, load_catalog()))
    rules = tuple(rule for rule in selected if rule.applies_to(settings.targets))

    results: list[FileResult] = []
    sources = _Sources()
    if path_list == [STDIN]:
        display = stdin_filename or STDIN
        declarations = _declarations([Path(display)], settings)
        linter = Linter(rules, settings, declarations)
        text = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
        sources = _Sources(display, text)
        try:
            results.append(linter.lint_source(text.encode("utf-8", errors="surrogateescape"), display))
        except UnicodeEncodeError:
            results.append(FileResult(display, error="not valid UTF-8; skipped"))
    else:
        found = discover(path_list, settings)
        if found.missing:
            raise UserError(f"path `{found.missing[0]}` does not exist")
        if show_files:
            click.echo("".join(f"{path.as_posix()}\n" for path in found.files), nl=False)
            return EXIT_CLEAN
        declarations = _declarations(found.files, settings)
        linter = Linter(rules, settings, declarations)
        cache = None if no_cache else Cache(_cache_directory(settings, cache_dir), settings.root)
        results.extend(lint_files(linter, found.files, cache))
        if cache is not None:
            cache.save()

    findings: list[Finding] = sorted(
        (finding for result in results for finding in result.findings), key=lambda finding: finding.sort_key
    )
    covered = tuple(os.path.join(os.path.abspath(path), "") for path in path_list if os.path.isdir(path))
    known = {os.path.abspath(result.path): result.project_keys for result in results if result.project_keys}
    findings = settle(findings, project_conditions(rules), ProjectFacts(settings, known, covered))
    if add_noqa:
        if path_list == [STDIN]:
            raise UserError("--add-noqa edits files: it cannot work on stdin")
        return _add_noqa(linter, findings)
    for result in results:
        if result.error:
            _warn(f"{result.path}: {result.error}")
        elif result.note and not settings.quiet:
            click.echo(f"pinlint: note: {result.path}: {result.note}", err=True)

    use_color = _use_color(settings.color) and output_file is None
    if settings.statistics:
        output = render_statistics(findings)
    else:
        output = render(
            findings,
            settings.output_format,
            color=use_color,
            source_lines=sources,
            rules=rules,
            root=_repository_root(),
            checked=[result.path for result in results if not result.error],
        )
        if settings.output_format == "full" and os.environ.get("GITHUB_ACTIONS") == "true":
            output += render(findings, "github", color=False, source_lines=sources)
    if output_file is not None:
        _write_atomically(Path(output_file), output)
    else:
        click.echo(output, nl=False, color=use_color)
    if settings.output_format not in MACHINE_FORMATS and not settings.quiet:
        if findings and settings.output_format == "full" and not settings.statistics:
            click.echo()
        skipped = sum(1 for result in results if result.error)
        click.echo(summary_line(findings, len(results) - skipped, skipped))
    if findings and not settings.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


@cli.command()
@click.argument("code", required=False)
@click.option("--all", "show_all", is_flag=True, help="List every rule: code, name, summary.")
def rule(code: str | None, show_all: bool) -> int:
    """Show the documentation of rule CODE (a code like PIN001, or its name)."""
    from pinlint.rulesdoc import render_rule, render_rule_list

    rules = load_catalog()
    if show_all:
        click.echo(render_rule_list(rules), nl=False)
        return EXIT_CLEAN
    if not code:
        raise UserError("give a rule code (e.g. `pinlint rule PIN001`) or --all")
    wanted = code.strip()
    chosen: Rule | None = next((r for r in rules if wanted.upper() == r.code or wanted == r.name), None)
    if chosen is None:
        raise UserError(f"unknown rule `{code}` (see `pinlint rule --all`)")
    click.echo(render_rule(chosen), nl=False)
    return EXIT_CLEAN


@cli.command()
@click.option("--config", "config_file", type=str, default=None, metavar="FILE", help="The config file to use.")
def clean(config_file: str | None) -> int:
    """Delete the result cache of the project in the current directory."""
    settings = load_settings(Path(config_file) if config_file else None, Path.cwd())
    directory = _cache_directory(settings, None)
    if directory.is_dir() and (directory / "CACHEDIR.TAG").is_file():
        shutil.rmtree(directory, ignore_errors=True)
        click.echo(f"Removed {directory}")
    else:
        click.echo(f"No pinlint cache at {directory}")
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the CLI, turn every failure into one line and an exit code."""
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="pinlint", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("pinlint: interrupted", err=True)
        code = 130
    except click.ClickException as error:
        click.echo(f"pinlint: error: {error.format_message()}", err=True)
        code = EXIT_ERROR
    except (UserError, ConfigError, CatalogError) as error:
        click.echo(f"pinlint: error: {error}", err=True)
        code = EXIT_ERROR
    except BrokenPipeError:
        # The reader went away (``pinlint check | head``); exit quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_FINDINGS
    except Exception as error:
        if os.environ.get("PINLINT_DEBUG"):
            raise
        click.echo(
            f"pinlint: internal error: {type(error).__name__}: {error} (set PINLINT_DEBUG=1 for a traceback)",
            err=True,
        )
        code = EXIT_ERROR
    sys.exit(code if isinstance(code, int) else EXIT_CLEAN)
