"""``pinlint server``: a language server (LSP over stdin and stdout) built on pygls.

This module owns what an editor sees: diagnostics for each open Python or SQL buffer, computed
from its unsaved text with the settings of the nearest configuration above the file (on open and
save at once, on change once the edits pause; files the excludes cover get none); code actions
(a ``# noqa: CODE`` comment, placed as ``--add-noqa`` places it, and the finding's fix, the one
``--fix`` applies: see ``FixProvider`` and ``engine_fixes``); hover on a finding, or on a code in
a noqa comment, with the rule's page, the one ``pinlint rule CODE`` prints.

Positions: pinlint counts 1-based lines and 1-based columns in code points, end exclusive. LSP
counts 0-based lines and, unless the client offers UTF-8 or UTF-32 at initialisation (pygls
negotiates it), columns in UTF-16 code units. Every position crosses ``client_range`` or
``client_position`` on its way out, and lines are split as LSP splits them (CR LF, CR or LF).

The CLI imports this module only for ``pinlint server``, so that ``pinlint check`` never pays
for pygls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import PositionCodec, TextDocument
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from pinlint import __version__
from pinlint.addnoqa import add_noqa
from pinlint.catalog import CatalogError, Rule, load_catalog
from pinlint.config import ConfigError, Settings, SettingsResolver, find_config, resolve_selection
from pinlint.declarations import Declarations, find_declarations
from pinlint.discover import discover
from pinlint.engine import Linter
from pinlint.fix.text import differing_span
from pinlint.kinds.project_condition import ProjectCondition
from pinlint.model import Finding
from pinlint.project import ProjectFacts, settle
from pinlint.projectfacts import ProjectReader
from pinlint.rulesdoc import render_rule, rule_url
from pinlint.suppress import SQL_NOQA_RE as NOQA_COMMENT_RE  # matches both comment styles (hash and double dash)
from pinlint.targets import TargetMap

SOURCE = "pinlint"  # Diagnostic.source: what editors show next to the message
LINTED_SUFFIXES = (".py", ".pyi", ".sql")
LANGUAGE_SUFFIXES = {"python": ".py", "sql": ".sql"}  # buffers without a usable file name, by languageId
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")  # LSP's line breaks, no others (str.splitlines has more)
CHANGE_DELAY = 0.15  # seconds of quiet after an edit before the buffer is linted (edits coalesce)
_NOQA_ENTRY_RE = re.compile(r"[^\s,]+")  # one code (or name) in a noqa comment
_SEVERITIES = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}


# -- fixes: where the engine's fixes plug in ------------------------------------------------------


@dataclass(frozen=True)
class TextChange:
    """Replace the text from (line, column) to (end_line, end_column) by ``text``, in pinlint's
    coordinates: 1-based lines, 1-based columns in code points, the end exclusive."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    """One way to fix one finding: a title for the editor's menu, and whether it is safe
    (behaviour provably the same; offered as the preferred action) or needs the user's check."""

    title: str
    safe: bool
    changes: tuple[TextChange, ...]


# Given a finding and the buffer's text, the fixes for it. ``engine_fixes`` (installed by
# ``serve``) offers the fix pinlint.fix attached to the finding, the one ``--fix`` applies.
FixProvider = Callable[[Finding, str], Sequence[Fix]]

UNSAFE_SUFFIX = " (unsafe: check the change)"


def engine_fixes(finding: Finding, text: str) -> Sequence[Fix]:
    """The finding's own fix (``Finding.autofix``, computed by pinlint.fix when the buffer was
    linted): a safe one is the preferred action; an unsafe one says so in its title."""
    autofix = finding.autofix
    if autofix is None:
        return ()
    safe = autofix.applicability == "safe"
    changes = tuple(
        TextChange(edit.line, edit.column, edit.end_line, edit.end_column, edit.content) for edit in autofix.edits
    )
    return (Fix(autofix.title if safe else autofix.title + UNSAFE_SUFFIX, safe, changes),)


# -- positions ------------------------------------------------------------------------------------


def client_lines(text: str) -> list[str]:
    """The buffer's lines as the client counts them (without their line breaks)."""
    return _LINE_BREAK_RE.split(text)


def client_position(lines: Sequence[str], codec: PositionCodec, line: int, column: int) -> types.Position:
    """pinlint's 1-based (line, column in code points) as an LSP position in the client's units."""
    return codec.position_to_client_units(lines, ServerTextPosition(max(line - 1, 0), max(column - 1, 0)))


def client_range(
    lines: Sequence[str], codec: PositionCodec, start: tuple[int, int], end: tuple[int, int]
) -> types.Range:
    """A span in pinlint's coordinates, ``end`` exclusive, as an LSP range in the client's units."""
    first = ServerTextPosition(max(start[0] - 1, 0), max(start[1] - 1, 0))
    last = ServerTextPosition(max(end[0] - 1, 0), max(end[1] - 1, 0))
    return codec.range_to_client_units(lines, ServerTextRange(first, max(first, last)))


def finding_range(lines: Sequence[str], codec: PositionCodec, finding: Finding) -> types.Range:
    return client_range(lines, codec, (finding.line, finding.column), (finding.end_line, finding.end_column))


def _offset_position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column in code points) of ``offset`` in ``text``, lines split as LSP does."""
    line, start = 1, 0
    for match in _LINE_BREAK_RE.finditer(text, 0, offset):
        line, start = line + 1, match.end()
    return line, offset - start + 1


def replacement(old: str, new: str) -> TextChange | None:
    """The one change that turns ``old`` into ``new`` (``differing_span``), at LSP's line breaks."""
    span = differing_span(old, new)
    if span is None:
        return None
    start, end, text = span
    return TextChange(*_offset_position(old, start), *_offset_position(old, end), text)


# -- linting one buffer ---------------------------------------------------------------------------


@dataclass
class Linted:
    """What the server last found in one buffer (the version the client gave with its text)."""

    uri: str
    version: int | None
    text: str
    path: str
    findings: list[Finding]
    ranges: list[types.Range]  # findings[i] in the client's units
    rules: dict[str, Rule] = field(default_factory=dict)
    noqa: dict[int, TextChange | None] = field(default_factory=dict)  # findings[i]'s noqa edit, once asked
    fix_all: list[TextChange | None] = field(default_factory=list)  # the "fix all" edit, once asked

    def noqa_change(self, index: int) -> TextChange | None:
        """The noqa edit of findings[index], computed once per version (a 300 KB module takes
        0.3 s, and editors ask for code actions at every move of the cursor)."""
        if index not in self.noqa:
            self.noqa[index] = noqa_change(self.text, self.findings[index], sql=self.path.endswith(".sql"))
        return self.noqa[index]


class PinlintServer(LanguageServer):
    """The language server: the open buffers' findings, and the prepared linters."""

    def __init__(self, fix_providers: Sequence[FixProvider] = ()) -> None:
        super().__init__("pinlint", __version__)
        self.fix_providers = tuple(fix_providers)
        self.linted: dict[str, Linted] = {}
        self._catalog: dict[str, Rule] | None = None
        self._linters: dict[tuple[str, int, str, str], Linter] = {}
        self._project_answers: dict[str, dict[tuple[Path, ProjectCondition], str]] = {}
        self._reported: set[str] = set()
        self._pending: dict[str, asyncio.TimerHandle] = {}
        self._excluded: dict[tuple[str, Path, tuple[str, ...], tuple[str, ...]], bool] = {}

    # -- settings and rules, per file ---------------------------------------------------------------
    @property
    def catalog(self) -> dict[str, Rule]:
        """Every rule by code, as the catalog defines it (hover shows these pages)."""
        if self._catalog is None:
            self._catalog = {rule.code: rule for rule in load_catalog()}
        return self._catalog

    def _workspace_root(self) -> Path:
        root = self.workspace.root_path
        return Path(root) if root else Path.cwd()

    def settings_for(self, path: str) -> Settings:
        """The settings of the nearest configuration above ``path`` (else pinlint's defaults,
        rooted at the workspace), as `pinlint check` would use for that file."""
        directory = Path(path).parent
        resolver = SettingsResolver(default_root=self._workspace_root())
        return resolver.for_directory(directory if directory.is_dir() else self._workspace_root())

    def linter_for(self, path: str) -> Linter:
        """A linter prepared once per configuration (and its modification time) and directory;
        a save anywhere drops them all (a handler declaration or a config may have changed)."""
        directory = Path(path).parent
        config = find_config(directory if directory.is_dir() else self._workspace_root())
        try:
            stamp = config.stat().st_mtime_ns if config is not None else 0
        except OSError:
            stamp = 0
        key = (str(config or ""), stamp, str(directory), str(self._workspace_root()))
        linter = self._linters.get(key)
        if linter is None:
            settings = self.settings_for(path)
            setup = settings.pooler_setup
            selected = (rule.for_setup(setup) for rule in resolve_selection(settings, tuple(self.catalog.values())))
            rules = tuple(rule for rule in selected if rule.applies_to(settings.targets))
            linter = Linter(
                rules,
                settings,
                self._declarations(path, settings),
                ProjectReader(),
                targets=self._targets(path, settings),
            )
            self._linters[key] = linter
        return linter

    def _targets(self, path: str, settings: Settings) -> TargetMap | None:
        """``--target auto``: the pooler of the buffer's function, from the templates,
        serverless.yml and docker-compose files above it (pinlint.targets)."""
        if not settings.auto_target or not path.endswith((".py", ".pyi")):
            return None
        from pinlint.infra.targets import find_targets

        return find_targets([], [Path(path)], settings)

    def _declarations(self, path: str, settings: Settings) -> Declarations | None:
        if not path.endswith((".py", ".pyi")):
            return None
        origin = f"`handlers` in {settings.config_file}" if settings.config_file else "`handlers`"
        found = find_declarations([Path(path)], settings.root, settings.handlers, origin)
        for warning in found.warnings:
            self.log(f"warning: {warning}", types.MessageType.Warning)
        return found

    # -- documents ----------------------------------------------------------------------------------
    def lint_path_of(self, document: TextDocument) -> str | None:
        """The file a buffer stands for (the name its settings and rules go by), or None when
        pinlint does not lint it."""
        path = to_fs_path(document.uri) if document.uri.startswith("file:") else None
        language_suffix = LANGUAGE_SUFFIXES.get(document.language_id or "")
        if path is None:
            if language_suffix is None:
                return None
            return str(self._workspace_root() / f"untitled{language_suffix}")
        if path.endswith(LINTED_SUFFIXES):
            return path
        return path + language_suffix if language_suffix else None

    def lint_soon(self, uri: str) -> None:
        """Lint after CHANGE_DELAY without a further edit: a burst of keystrokes is linted once,
        and a slow file (a 300 KB module takes 0.3 s) does not queue one lint per keystroke."""
        self._cancel(uri)
        self._pending[uri] = asyncio.get_running_loop().call_later(CHANGE_DELAY, self.lint, uri)

    def _cancel(self, uri: str) -> None:
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()

    def current(self, uri: str) -> Linted | None:
        """The findings of the buffer's current version (linted now if an edit is still pending)."""
        linted = self.linted.get(uri)
        if linted is not None and linted.version != self.workspace.get_text_document(uri).version:
            self.lint(uri)
            linted = self.linted.get(uri)
        return linted

    def lint(self, uri: str) -> None:
        """Lint the buffer's current text and publish its diagnostics."""
        self._cancel(uri)
        document = self.workspace.get_text_document(uri)
        path = self.lint_path_of(document)
        if path is None:
            return
        text = document.source
        findings: list[Finding] = []
        try:
            linter = self.linter_for(path)
            if self.excluded(path, linter.settings):
                self._publish(Linted(uri, document.version, text, path, [], []))
                return
            result = linter.lint_source(text, path)
            if result.error:
                self.log(f"{path}: {result.error}", types.MessageType.Warning)
            known = {os.path.abspath(path): result.project_keys} if result.project_keys else {}
            answers = self._project_answers.setdefault(uri, {})
            facts = ProjectFacts(linter.settings, known, (), answers)
            findings = settle(result.findings, linter.project_conditions, facts)
        except (ConfigError, CatalogError) as error:
            self.report_once(f"pinlint: {error}")
        except Exception as error:  # a bug in pinlint: say so in one line, keep serving
            self.report_once(f"pinlint: internal error on {path}: {type(error).__name__}: {error}")
        lines, codec = client_lines(text), document.position_codec
        ranges = [finding_range(lines, codec, finding) for finding in findings]
        linted = Linted(uri, document.version, text, path, findings, ranges, self._catalog or {})
        self._publish(linted)

    def _publish(self, linted: Linted) -> None:
        self.linted[linted.uri] = linted
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=linted.uri, version=linted.version, diagnostics=diagnostics(linted))
        )

    def excluded(self, path: str, settings: Settings) -> bool:
        """Whether the configuration's excludes cover the file (`exclude`, `extend-exclude`: a
        library opened from site-packages, a build directory), as `--force-exclude` applies
        them to files named on the command line; a file not on disk yet is never excluded."""
        key = (path, settings.root, settings.exclude, settings.extend_exclude)
        if key not in self._excluded:
            found = discover([path], dataclasses.replace(settings, force_exclude=True))
            self._excluded[key] = not found.files and not found.missing
        return self._excluded[key]

    def forget(self, uri: str) -> None:
        self._cancel(uri)
        self.linted.pop(uri, None)
        self._project_answers.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def saved(self, uri: str) -> None:
        """On save: handler declarations, project settings or the config may have changed, so
        the saved buffer is linted afresh at once and the other open ones soon after."""
        self._linters.clear()
        self._project_answers.clear()
        self._excluded.clear()
        self._reported.clear()  # a configuration still wrong after a save is shown again
        self.lint(uri)
        for open_uri in list(self.linted):
            if open_uri != uri:
                self.lint_soon(open_uri)

    # -- messages to the user -----------------------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def report_once(self, message: str) -> None:
        """An error the user must fix (a bad config): shown once, logged every time."""
        self.log(message, types.MessageType.Error)
        if message not in self._reported:
            self._reported.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    # -- code actions and hover ---------------------------------------------------------------------
    def _noqa_code_at(self, linted: Linted, position: types.Position) -> tuple[Rule, types.Range] | None:
        """The rule whose code the cursor is on in a noqa comment, and that code's range."""
        lines = client_lines(linted.text)
        if position.line >= len(lines):
            return None
        codec = self.workspace.get_text_document(linted.uri).position_codec
        for match in _noqa_codes(lines[position.line]):
            entry = match.group()
            rule = linted.rules.get(entry.upper()) or next(
                (rule for rule in linted.rules.values() if rule.name == entry), None
            )
            line = position.line + 1
            where = client_range(lines, codec, (line, match.start() + 1), (line, match.end() + 1))
            if rule is not None and _start(where) <= (position.line, position.character) <= _end(where):
                return rule, where
        return None

    def fix_all_change(self, linted: Linted) -> TextChange | None:
        """The one edit that applies every safe fix of the buffer, as `pinlint check --fix` does
        (in rounds, each re-linted: pinlint.fix.apply.fix_text); computed once per version."""
        if not linted.fix_all:
            change = None
            if any(finding.fixable() for finding in linted.findings):
                from pinlint.fix.apply import fix_text

                linter = self.linter_for(linted.path)
                answers = self._project_answers.setdefault(linted.uri, {})

                def settled(found: list[Finding]) -> list[Finding]:
                    facts = ProjectFacts(linter.settings, {}, (), answers)
                    return settle(found, linter.project_conditions, facts)

                def log(message: str) -> None:
                    self.log(f"fix all: {message}", types.MessageType.Warning)

                done = fix_text(linted.text, linted.path, False, linter, settled, log)
                change = replacement(linted.text, done[0]) if done is not None else None
            linted.fix_all.append(change)
        return linted.fix_all[0]

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        linted = self.current(params.text_document.uri)
        only = params.context.only
        if linted is None:
            return []
        wants_fix_all = not only or any(types.CodeActionKind.SourceFixAll.startswith(kind) for kind in only)
        if only and not any(types.CodeActionKind.QuickFix.startswith(kind) for kind in only):
            return self._fix_all_actions(linted) if wants_fix_all else []
        document = self.workspace.get_text_document(linted.uri)
        lines, codec = client_lines(linted.text), document.position_codec
        versioned = get_capability(self.client_capabilities, "workspace.workspace_edit.document_changes", False)
        actions: list[types.CodeAction] = []
        offered: set[tuple[str, TextChange]] = set()
        for index, (finding, where) in enumerate(zip(linted.findings, linted.ranges, strict=True)):
            if not _overlaps(where, params.range):
                continue
            diagnostic = _diagnostic(finding, where, linted.rules.get(finding.code))
            for provider in self.fix_providers:
                for fix in provider(finding, linted.text):
                    actions.append(quick_fix(fix, linted, diagnostic, lines, codec, versioned=versioned))
            noqa = linted.noqa_change(index)
            if noqa is not None and (finding.code, noqa) not in offered:
                offered.add((finding.code, noqa))
                fix = Fix(f"Suppress {finding.code} with a noqa comment", False, (noqa,))
                actions.append(quick_fix(fix, linted, diagnostic, lines, codec, versioned=versioned, preferred=False))
        if wants_fix_all and actions:
            actions.extend(self._fix_all_actions(linted))
        return actions

    def _fix_all_actions(self, linted: Linted) -> list[types.CodeAction]:
        """``source.fixAll``: every safe fix of the buffer at once (what editors run on save)."""
        change = self.fix_all_change(linted)
        if change is None:
            return []
        document = self.workspace.get_text_document(linted.uri)
        lines, codec = client_lines(linted.text), document.position_codec
        versioned = get_capability(self.client_capabilities, "workspace.workspace_edit.document_changes", False)
        fixed = [
            _diagnostic(finding, where, linted.rules.get(finding.code))
            for finding, where in zip(linted.findings, linted.ranges, strict=True)
            if finding.fixable()
        ]
        action = quick_fix(
            Fix("Fix all safe pinlint findings", True, (change,)), linted, fixed[0], lines, codec, versioned=versioned
        )
        action.kind = types.CodeActionKind.SourceFixAll
        action.diagnostics = fixed
        action.is_preferred = None
        return [action]

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        linted = self.current(params.text_document.uri)
        if linted is None:
            return None
        point = (params.position.line, params.position.character)
        pages: list[str] = []
        first: types.Range | None = None
        for finding, where in zip(linted.findings, linted.ranges, strict=True):
            if not _start(where) <= point <= _end(where):
                continue
            rule = linted.rules.get(finding.code)
            page = render_rule(rule) if rule is not None else f"# {finding.code}\n\n{finding.message}\n"
            if page not in pages:
                pages.append(page)
                first = first or where
        if not pages:
            noqa = self._noqa_code_at(linted, params.position)
            if noqa is None:
                return None
            rule, first = noqa
            pages.append(render_rule(rule))
        formats = get_capability(self.client_capabilities, "text_document.hover.content_format", [])
        kind = types.MarkupKind.Markdown if not formats or types.MarkupKind.Markdown in formats else None
        content = types.MarkupContent(kind=kind or types.MarkupKind.PlainText, value="\n---\n\n".join(pages))
        return types.Hover(contents=content, range=first)


def _noqa_codes(line: str) -> list[re.Match[str]]:
    """The rule codes of a ``# noqa: ...`` or ``-- noqa: ...`` comment on ``line``."""
    found = NOQA_COMMENT_RE.search(line)
    return list(_NOQA_ENTRY_RE.finditer(line, found.start("codes"), found.end("codes"))) if found else []


def quick_fix(
    fix: Fix,
    linted: Linted,
    diagnostic: types.Diagnostic,
    lines: Sequence[str],
    codec: PositionCodec,
    *,
    versioned: bool,
    preferred: bool | None = None,
) -> types.CodeAction:
    """``fix`` as a quick fix editing the buffer (a safe fix is the preferred action, unless
    ``preferred`` says otherwise); with ``versioned`` (the client takes document changes), the
    edit names the buffer's version, so that the client refuses it once the buffer moved on."""
    edits = [_text_edit(lines, codec, change) for change in fix.changes]
    if versioned:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=linted.uri, version=linted.version)
        edit = types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=list(edits))]
        )
    else:
        edit = types.WorkspaceEdit(changes={linted.uri: edits})
    return types.CodeAction(
        title=fix.title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=edit,
        is_preferred=(fix.safe if preferred is None else preferred) or None,
    )


def noqa_change(text: str, finding: Finding, *, sql: bool) -> TextChange | None:
    """The change that adds ``# noqa: CODE`` (``-- noqa: CODE`` in .sql) for ``finding`` where
    `pinlint check --add-noqa` would put it; None when no line can take one."""
    edit = add_noqa(text, [finding], sql=sql)
    return replacement(text, edit.text) if edit.added else None


def diagnostics(linted: Linted) -> list[types.Diagnostic]:
    return [
        _diagnostic(finding, where, linted.rules.get(finding.code))
        for finding, where in zip(linted.findings, linted.ranges, strict=True)
    ]


def _diagnostic(finding: Finding, where: types.Range, rule: Rule | None) -> types.Diagnostic:
    message = finding.message
    message += f"\n{finding.consequence}" if finding.consequence else ""
    message += f"\nhelp: {finding.fix}" if finding.fix else ""
    return types.Diagnostic(
        range=where,
        message=message,
        severity=_SEVERITIES.get(finding.severity, types.DiagnosticSeverity.Information),
        code=finding.code,
        code_description=types.CodeDescription(href=rule_url(rule)) if rule is not None else None,
        source=SOURCE,
    )


def _text_edit(lines: Sequence[str], codec: PositionCodec, change: TextChange) -> types.TextEdit:
    where = client_range(lines, codec, (change.line, change.column), (change.end_line, change.end_column))
    return types.TextEdit(range=where, new_text=change.text)


def _start(where: types.Range) -> tuple[int, int]:
    return where.start.line, where.start.character


def _end(where: types.Range) -> tuple[int, int]:
    return where.end.line, where.end.character


def _overlaps(first: types.Range, second: types.Range) -> bool:
    return _start(first) <= _end(second) and _start(second) <= _end(first)


def build_server(fix_providers: Sequence[FixProvider] = ()) -> PinlintServer:
    """The server with its features registered (LSP methods -> PinlintServer's methods)."""
    server = PinlintServer(fix_providers)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: PinlintServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: PinlintServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.lint_soon(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: PinlintServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.saved(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: PinlintServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]),
    )
    def code_action(ls: PinlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: PinlintServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    return server


def serve() -> None:
    """Run the server over stdin and stdout until the client says exit."""
    build_server((engine_fixes,)).start_io()
