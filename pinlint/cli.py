"""The command line: ``pinlint check``, ``pinlint rule``, ``pinlint --version``.

This module owns option parsing and exit codes: click options become ``Settings`` and a
``RunRequest``, ``pinlint.run`` does the work and returns the exit code. Errors the user can fix
(usage, configuration, a report that cannot be written) are one line on stderr
(``pinlint: error: ...``) and exit 2; a traceback is shown only with PINLINT_DEBUG=1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from pinlint import __version__
from pinlint.cache import clear as clear_cache
from pinlint.catalog import CatalogError, Rule, load_catalog
from pinlint.config import (
    COMMAND_LINE,
    OUTPUT_FORMATS,
    TARGET_CHOICES,
    ConfigError,
    Settings,
    SettingsResolver,
    apply_values,
    is_override,
    load_settings,
    parse_override,
)
from pinlint.report.stream import ReportWriteError
from pinlint.run import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    STDIN,
    RunRequest,
    UserError,
    cache_directory,
    handlers_text,
    run,
    settings_text,
)
from pinlint.sql.lexer import DIALECTS


def _codes(values: Sequence[str]) -> list[str]:
    """``--select A,B --select C`` -> [A, B, C]; an empty part stays, for the settings to refuse."""
    return [part.strip() for value in values for part in value.split(",")]


def _resolver(
    paths: Sequence[str],
    stdin_filename: str | None,
    config_values: Sequence[str],
    cli_values: dict[str, Any],
    extend: dict[str, list[str]],
) -> SettingsResolver:
    """Settings per file: the nearest configuration above each (or ``--config FILE`` for all),
    then the ``--config key=value`` overrides, then the options."""
    overrides = [(parse_override(value), f"--config {value!r}") for value in config_values if is_override(value)]
    files = [value for value in config_values if not is_override(value)]
    if len(files) > 1:
        raise UserError(f"--config names two files ({files[0]}, {files[1]}): give one")

    def finish(settings: Settings) -> Settings:
        for values, origin in overrides:
            settings = apply_values(settings, values, origin)
        settings = apply_values(settings, cli_values, COMMAND_LINE)
        return replace(
            settings,
            extend_select=(*settings.extend_select, *extend["extend_select"]),
            ignore=(*settings.ignore, *extend["ignore"]),
        )

    if stdin_filename is not None and paths == [STDIN]:
        start = Path(stdin_filename).parent
    else:
        first = Path(paths[0]) if paths else Path.cwd()
        start = first if os.path.isdir(first) else first.parent
    default_root = start if os.path.isdir(start) else Path.cwd()
    return SettingsResolver(Path(files[0]) if files else None, finish, default_root)


RUN_WIDE_SETTINGS = ("output_format", "exit_zero", "statistics", "quiet", "color")


def _run_wide_settings(resolver: SettingsResolver, first_path: Settings) -> Settings:
    """The settings that decide for the whole run (output format, exit code, statistics, colour,
    quiet), as ruff takes them: from the configuration above the current directory when there is
    one, so the order of the paths does not change how a run reports; else from the first path's."""
    if resolver.config_file is not None or resolver.config_for(Path.cwd()) is None:
        return first_path
    here = resolver.for_directory(Path.cwd())
    return replace(first_path, **{name: getattr(here, name) for name in RUN_WIDE_SETTINGS})


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
    help="Keep findings that matter on this pooler; `auto` (the default): on the pooler each file's"
    " function goes through, where the infrastructure shows it, else on all.",
)
@click.option(
    "--dialect",
    type=click.Choice(DIALECTS),
    default=None,
    help=(
        "SQL dialect of files whose code does not say (default: `dialect` in the config, else what the"
        " project's dependencies and settings name, else postgres)."
    ),
)
@click.option(
    "--output-format", type=click.Choice(OUTPUT_FORMATS), default=None, help="How findings are printed (default: full)."
)
@click.option("--exit-zero", is_flag=True, default=None, help="Exit 0 even when there are findings.")
@click.option(
    "--config",
    "config_values",
    type=str,
    multiple=True,
    metavar="FILE|KEY=VALUE",
    help="Use this config file for every file instead of looking for one; or, with `=`, override one key"
    " in TOML (`--config 'ignore = [\"PIN001\"]'`).",
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
@click.option(
    "--respect-gitignore/--no-respect-gitignore",
    default=None,
    help="Skip what `.gitignore` files list (the default). `--no-respect-gitignore` checks it too, as git does"
    " for a file it tracks although a `.gitignore` lists it.",
)
@click.option("--no-cache", is_flag=True, help="Lint every file, and leave the cache alone.")
@click.option(
    "--cache-dir", type=str, default=None, metavar="DIR", help="Where results are cached (default: .pinlint_cache)."
)
@click.option("--add-noqa", is_flag=True, help="Add `# noqa: CODE` comments that silence every current finding.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes to the files, then report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, apply the unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff and write nothing (exit 1 if any).")
@click.option("--show-fixes", is_flag=True, help="With --fix, list what was fixed, per file and rule.")
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
    config_values: tuple[str, ...],
    statistics: bool | None,
    quiet: bool | None,
    color: bool | None,
    force_exclude: bool | None,
    respect_gitignore: bool | None,
    no_cache: bool,
    cache_dir: str | None,
    add_noqa: bool,
    fix: bool,
    unsafe_fixes: bool,
    diff: bool,
    show_fixes: bool,
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
        ("respect-gitignore", respect_gitignore),
    ):
        if value is not None:
            cli_values[key] = value
    extend = {"extend_select": _codes(extend_select), "ignore": _codes(ignore)}
    resolver = _resolver(path_list, stdin_filename, config_values, cli_values, extend)
    settings = resolver.for_directory(resolver.default_root)
    if show_settings:
        click.echo(settings_text(settings) + handlers_text(path_list, settings), nl=False)
        from pinlint.discover import discover
        from pinlint.projectfacts import databases_text

        files = discover(path_list, settings).files
        click.echo(databases_text(files, settings.dialect, settings.dialect_origin), nl=False)
        return EXIT_CLEAN
    settings = _run_wide_settings(resolver, settings)
    request = RunRequest(
        paths=tuple(path_list),
        stdin_filename=stdin_filename,
        no_cache=no_cache,
        cache_dir=cache_dir,
        add_noqa=add_noqa,
        fix=fix,
        unsafe_fixes=unsafe_fixes,
        diff=diff,
        show_fixes=show_fixes,
        show_files=show_files,
        output_file=output_file,
    )
    return run(settings, request, resolver)


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
    removed, message = clear_cache(cache_directory(settings))
    click.echo(message, err=not removed)
    return EXIT_CLEAN if removed else EXIT_FINDINGS


@cli.command()
def server() -> int:
    """Run the language server for editors (LSP over stdin and stdout)."""
    from pinlint.server import serve  # pygls is imported for this command only

    serve()
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
    except (UserError, ConfigError, CatalogError, ReportWriteError) as error:
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
