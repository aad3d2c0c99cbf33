"""`pinlint server` end to end: pygls' own LSP client starts the installed command over stdio,
opens buffers (whose text is not on disk), and checks diagnostics, code actions and hover as an
editor receives them. Expected positions are computed here from the text (UTF-16 or UTF-8 code
units of the line before the trigger), not by the server's conversion."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.workspace import PositionCodec

from conftest import CATALOG, ROOT, console_script, lint
from pinlint.rulesdoc import render_rule, rule_url
from pinlint.server import Fix, Linted, TextChange, client_lines, noqa_change, quick_fix

TIMEOUT = 20.0
BMP_AND_BEYOND = "\U0001f600\U0001f600é"  # two characters outside the BMP (two UTF-16 units each), one inside
PY_SOURCE = f'cur.execute("/* {BMP_AND_BEYOND} */ SET search_path TO app")\n'
CLEAN_SOURCE = 'cur.execute("SELECT 1")\n'


class Client:
    """One editor session: the client, what the server published, what it showed."""

    def __init__(self) -> None:
        self.lsp = LanguageClient("pinlint-test", "1")
        self.published: dict[str, asyncio.Queue[types.PublishDiagnosticsParams]] = {}
        self.shown: list[str] = []
        self.versions: dict[str, int] = {}

        @self.lsp.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: types.PublishDiagnosticsParams) -> None:
            self.queue(params.uri).put_nowait(params)

        @self.lsp.feature(types.WINDOW_SHOW_MESSAGE)
        def show(params: types.ShowMessageParams) -> None:
            self.shown.append(params.message)

        @self.lsp.feature(types.WINDOW_LOG_MESSAGE)
        def log(params: types.LogMessageParams) -> None:
            pass

    def queue(self, uri: str) -> asyncio.Queue[types.PublishDiagnosticsParams]:
        return self.published.setdefault(uri, asyncio.Queue())

    async def publication(self, uri: str) -> types.PublishDiagnosticsParams:
        return await asyncio.wait_for(self.queue(uri).get(), TIMEOUT)

    async def diagnostics(self, uri: str) -> list[types.Diagnostic]:
        """The next diagnostics published for ``uri``."""
        return list((await self.publication(uri)).diagnostics)

    def open(self, path: Path | str, text: str, language: str = "python") -> str:
        uri = path.as_uri() if isinstance(path, Path) else path
        self.versions[uri] = 1
        item = types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
        return uri

    def change(self, uri: str, text: str) -> None:
        self.versions[uri] += 1
        document = types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri])
        whole = types.TextDocumentContentChangeWholeDocument(text=text)
        self.lsp.text_document_did_change(
            types.DidChangeTextDocumentParams(text_document=document, content_changes=[whole])
        )

    def save(self, uri: str) -> None:
        document = types.TextDocumentIdentifier(uri=uri)
        self.lsp.text_document_did_save(types.DidSaveTextDocumentParams(text_document=document))

    async def code_actions(self, uri: str, where: types.Range, only: list[str] | None = None) -> list[types.CodeAction]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=[], only=only),
        )
        result = await asyncio.wait_for(self.lsp.text_document_code_action_async(params), TIMEOUT)
        return [action for action in result or [] if isinstance(action, types.CodeAction)]

    async def hover(self, uri: str, position: types.Position) -> types.Hover | None:
        params = types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
        return await asyncio.wait_for(self.lsp.text_document_hover_async(params), TIMEOUT)


@asynccontextmanager
async def session(
    root: Path, encodings: list[str] | None = None
) -> AsyncIterator[tuple[Client, types.InitializeResult]]:
    """`pinlint server` started as an editor starts it, initialised with ``root`` as the workspace."""
    client = Client()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    await client.lsp.start_io(console_script(), "server", cwd=str(root), env=env)
    general = types.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    capabilities = types.ClientCapabilities(
        general=general,
        workspace=types.WorkspaceClientCapabilities(
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)
        ),
        text_document=types.TextDocumentClientCapabilities(
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown])
        ),
    )
    result = await asyncio.wait_for(
        client.lsp.initialize_async(
            types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri(), process_id=os.getpid())
        ),
        TIMEOUT,
    )
    client.lsp.initialized(types.InitializedParams())
    try:
        yield client, result
    finally:
        await asyncio.wait_for(client.lsp.shutdown_async(None), TIMEOUT)
        client.lsp.exit(None)
        await asyncio.wait_for(client.lsp.stop(), TIMEOUT)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (UTF-16 positions) as a client does."""

    def offset(position: types.Position) -> int:
        lines = text.splitlines(keepends=True)
        before = sum(len(line) for line in lines[: position.line])
        line = lines[position.line] if position.line < len(lines) else ""
        units = 0
        for index, character in enumerate(line):
            if units >= position.character:
                return before + index
            units += utf16(character)
        return before + len(line)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def edits_of(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit) and change.text_document.uri == uri
    return [edit for edit in change.edits if isinstance(edit, types.TextEdit)]


def test_open_change_save_noqa_and_hover_on_an_unsaved_buffer(tmp_path: Path) -> None:
    """The whole editing loop in one session: the buffer's text (not the file's) is linted, the
    range counts UTF-16 units past non-BMP characters, the noqa quick fix silences the finding,
    and hover shows the rule's page."""
    (tmp_path / "app.py").write_text(CLEAN_SOURCE, encoding="utf-8")  # on disk: nothing to find

    async def scenario() -> None:
        async with session(tmp_path) as (client, result):
            assert result.capabilities.position_encoding in (None, types.PositionEncodingKind.Utf16)
            uri = client.open(tmp_path / "app.py", PY_SOURCE)
            (diagnostic,) = await client.diagnostics(uri)
            column = utf16(PY_SOURCE[: PY_SOURCE.index("SET")])
            assert column == PY_SOURCE.index("SET") + 2  # each emoji is two UTF-16 units
            assert (diagnostic.code, diagnostic.source) == ("PIN001", "pinlint")
            assert diagnostic.severity == types.DiagnosticSeverity.Error
            assert (diagnostic.range.start.line, diagnostic.range.start.character) == (0, column)
            assert diagnostic.range.end.line == 0
            assert diagnostic.range.end.character == column + len("SET search_path TO")
            assert diagnostic.message.startswith("Session-level `SET search_path`")
            rule = next(rule for rule in CATALOG if rule.code == "PIN001")
            assert diagnostic.code_description is not None and diagnostic.code_description.href == rule_url(rule)

            hover = await client.hover(uri, types.Position(line=0, character=column + 4))
            assert hover is not None and isinstance(hover.contents, types.MarkupContent)
            assert hover.contents.kind == types.MarkupKind.Markdown
            assert hover.contents.value == render_rule(rule)  # the page `pinlint rule PIN001` prints
            assert await client.hover(uri, types.Position(line=0, character=2)) is None

            actions = await client.code_actions(uri, diagnostic.range)
            (noqa,) = [action for action in actions if "noqa" in action.title]
            assert noqa.kind == types.CodeActionKind.QuickFix
            fixed = apply(PY_SOURCE, edits_of(noqa, uri))
            assert fixed == PY_SOURCE.rstrip("\n") + "  # noqa: PIN001\n"
            client.change(uri, fixed)
            assert await client.diagnostics(uri) == []
            code_at = utf16(fixed[: fixed.index("PIN001")])  # hover on the code in the noqa comment
            on_code = await client.hover(uri, types.Position(line=0, character=code_at + 3))
            assert on_code is not None and isinstance(on_code.contents, types.MarkupContent)
            assert on_code.contents.value == render_rule(rule) and on_code.range is not None
            assert (on_code.range.start.character, on_code.range.end.character) == (code_at, code_at + 6)

            for blank_lines in range(3):  # a burst of edits is linted once, at its last version
                client.change(uri, PY_SOURCE + "\n" * blank_lines)
            burst = await client.publication(uri)
            assert burst.version == client.versions[uri] and len(burst.diagnostics) == 1
            client.change(uri, CLEAN_SOURCE + PY_SOURCE)  # the finding moves to line 2
            # asked at once (before the edit's lint is due), hover answers for the new text
            assert await client.hover(uri, types.Position(line=1, character=column + 4)) is not None
            (moved,) = await client.diagnostics(uri)
            assert (moved.range.start.line, moved.range.start.character) == (1, column)
            client.save(uri)
            (again,) = await client.diagnostics(uri)
            assert again.range == moved.range

    asyncio.run(scenario())


def test_utf8_positions_when_the_client_offers_them(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, encodings=["utf-8", "utf-16"]) as (client, result):
            assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
            uri = client.open(tmp_path / "app.py", PY_SOURCE)
            (diagnostic,) = await client.diagnostics(uri)
            column = len(PY_SOURCE[: PY_SOURCE.index("SET")].encode("utf-8"))
            assert column == PY_SOURCE.index("SET") + 3 + 3 + 1  # 4 + 4 + 2 bytes for 1 + 1 + 1 characters
            assert (diagnostic.range.start.line, diagnostic.range.start.character) == (0, column)
            client.change(uri, PY_SOURCE.replace('")', '"'))  # half-typed: a syntax error clears them
            assert await client.diagnostics(uri) == []
            client.change(uri, PY_SOURCE)
            assert [d.range for d in await client.diagnostics(uri)] == [diagnostic.range]

    asyncio.run(scenario())


def test_sql_buffer_crlf_and_the_configuration_nearest_each_file(tmp_path: Path) -> None:
    """A .sql buffer with CR LF line endings gets its `-- noqa` edit before the line break; a
    file under `svc dir/` (a space in its URI) follows `svc dir/pinlint.toml`, the root's file
    the defaults; an untitled SQL buffer is linted too, an excluded file (a library opened from
    site-packages) is not."""
    svc = tmp_path / "svc dir"
    svc.mkdir()
    (svc / "pinlint.toml").write_text('ignore = ["PIN001"]\n', encoding="utf-8")
    sql = "SELECT 1;\r\nSET search_path TO app;\r\n"

    async def scenario() -> None:
        async with session(tmp_path) as (client, _):
            uri = client.open(tmp_path / "schema.sql", sql, language="sql")
            (diagnostic,) = await client.diagnostics(uri)
            assert diagnostic.code == "PIN001"
            assert (diagnostic.range.start.line, diagnostic.range.start.character) == (1, 0)
            (noqa,) = [action for action in await client.code_actions(uri, diagnostic.range) if "noqa" in action.title]
            fixed = apply(sql, edits_of(noqa, uri))
            assert fixed == "SELECT 1;\r\nSET search_path TO app;  -- noqa: PIN001\r\n"
            client.change(uri, fixed)
            assert await client.diagnostics(uri) == []

            ignored = client.open(svc / "schema.sql", sql, language="sql")
            assert await client.diagnostics(ignored) == []
            inherits = tmp_path / "inherits"  # `extend` as `pinlint check` reads it
            inherits.mkdir()
            (inherits / "pinlint.toml").write_text('extend = "../svc dir/pinlint.toml"\n', encoding="utf-8")
            both = "SET search_path TO app;\nSELECT pg_advisory_lock(1);\n"
            inherited = client.open(inherits / "schema.sql", both, language="sql")
            assert [d.code for d in await client.diagnostics(inherited)] == ["PIN019"]
            python = client.open(svc / "app.py", 'cur.execute("SELECT pg_advisory_lock(1)")\n')
            assert [d.code for d in await client.diagnostics(python)] == ["PIN019"]
            untitled = client.open("untitled:Untitled-1", sql, language="sql")
            assert [d.code for d in await client.diagnostics(untitled)] == ["PIN001"]
            # build output beside a project file, and a virtualenv (marked by pyvenv.cfg): default excludes
            (tmp_path / "setup.cfg").write_text("", encoding="utf-8")
            (tmp_path / ".venv").mkdir()
            (tmp_path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n", encoding="utf-8")
            for excluded in (tmp_path / "build" / "schema.sql", tmp_path / ".venv" / "site-packages" / "lib.sql"):
                excluded.parent.mkdir(parents=True)
                excluded.write_text(sql, encoding="utf-8")
                assert await client.diagnostics(client.open(excluded, sql, language="sql")) == []

    asyncio.run(scenario())


def test_a_bad_configuration_is_shown_once_and_a_save_applies_the_fixed_one(tmp_path: Path) -> None:
    (tmp_path / "pinlint.toml").write_text('select = ["NOPE999"]\n', encoding="utf-8")

    async def scenario() -> None:
        async with session(tmp_path) as (client, _):
            uri = client.open(tmp_path / "app.py", PY_SOURCE)
            assert await client.diagnostics(uri) == []
            client.change(uri, PY_SOURCE + "\n")
            assert await client.diagnostics(uri) == []
            other = client.open(tmp_path / "other.py", PY_SOURCE)
            assert await client.diagnostics(other) == []
            assert len(client.shown) == 1 and "NOPE999" in client.shown[0]
            (tmp_path / "pinlint.toml").write_text('select = ["PIN001"]\n', encoding="utf-8")
            client.save(uri)  # the saved buffer and every other open one follow the new config
            assert [d.code for d in await client.diagnostics(uri)] == ["PIN001"]
            assert [d.code for d in await client.diagnostics(other)] == ["PIN001"]

    asyncio.run(scenario())


def test_check_does_not_import_the_language_server(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(PY_SOURCE, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pinlint", "check", "--no-cache", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert result.returncode == 1, result.stderr
    assert "PIN001" in result.stdout
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert "pinlint" in imported
    assert not imported & {"pygls", "lsprotocol", "cattrs"}


def test_a_fix_from_a_provider_becomes_a_quick_fix_in_client_units() -> None:
    """Where the engine's fixes plug in (it has none yet): a Fix in pinlint's coordinates (1-based,
    code points) becomes a versioned quick fix in UTF-16 units; a safe one is the preferred action."""
    text = f"x = 1\n{PY_SOURCE}"
    start = PY_SOURCE.index("app")  # 0-based, code points
    change = TextChange(2, start + 1, 2, start + 1 + len("app"), "public")
    linted = Linted("file:///w/app.py", 7, text, "/w/app.py", [], [])
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=1)),
        message="m",
    )
    codec = PositionCodec(types.PositionEncodingKind.Utf16)
    for safe in (True, False):
        action = quick_fix(
            Fix("Use public", safe, (change,)), linted, diagnostic, client_lines(text), codec, versioned=True
        )
        assert action.kind == types.CodeActionKind.QuickFix and action.diagnostics == [diagnostic]
        assert action.is_preferred is (True if safe else None)
        assert action.edit is not None and action.edit.document_changes is not None
        (document_edit,) = action.edit.document_changes
        assert isinstance(document_edit, types.TextDocumentEdit) and document_edit.text_document.version == 7
        edits = [edit for edit in document_edit.edits if isinstance(edit, types.TextEdit)]
        assert edits[0].range.start == types.Position(line=1, character=utf16(PY_SOURCE[:start]))
        assert apply(text, edits) == text.replace("TO app", "TO public")
    plain = quick_fix(
        Fix("Use public", True, (change,)), linted, diagnostic, client_lines(text), codec, versioned=False
    )
    assert plain.edit is not None and plain.edit.changes is not None
    assert apply(text, list(plain.edit.changes[linted.uri])) == text.replace("TO app", "TO public")


def test_the_readme_editor_setups_start_this_server() -> None:
    """The VS Code, Neovim and Helix snippets parse and run `pinlint server` for Python and SQL."""
    editors = (ROOT / "README.md").read_text(encoding="utf-8").split("## Editors", 1)[1].split("\n## ", 1)[0]
    vscode = json.loads(re.search(r"```jsonc\n(.*?)```", editors, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]] == ["pinlint", "server"]
    assert vscode["glspc.server.languageId"] == ["python", "sql"]
    lua = re.search(r"```lua\n(.*?)```", editors, re.DOTALL).group(1)  # type: ignore[union-attr]
    assert 'cmd = { "pinlint", "server" }' in lua and 'filetypes = { "python", "sql" }' in lua
    assert 'vim.lsp.enable("pinlint")' in lua
    helix = tomllib.loads(re.search(r"```toml\n(.*?)```", editors, re.DOTALL).group(1))  # type: ignore[union-attr]
    assert [helix["language-server"]["pinlint"]["command"], *helix["language-server"]["pinlint"]["args"]] == [
        "pinlint",
        "server",
    ]
    assert {language["name"] for language in helix["language"] if "pinlint" in language["language-servers"]} == {
        "python",
        "sql",
    }


def test_noqa_goes_on_the_finding_line_past_a_form_feed() -> None:
    """A form feed (a page break in old code) is not a line break for pinlint or LSP."""
    text = "-- page one\x0cpage two\nSET search_path TO app;\n"
    (finding,) = lint(text, "schema.sql")
    assert finding.line == 2
    change = noqa_change(text, finding, sql=True)
    assert change == TextChange(2, 24, 2, 24, "  -- noqa: PIN001")


def test_fix_code_actions_apply_the_fix_that_fix_applies(tmp_path: Path) -> None:
    """A finding with a fix gets a quick fix with the engine's edit (in UTF-16 units past non-BMP
    characters), preferred when safe, listed before the noqa action; applied, it clears the
    finding. An unsafe fix is offered too, not preferred, and says it is unsafe."""
    safe_source = f'cur.execute("/* {BMP_AND_BEYOND} */ BEGIN; SET search_path TO app; COMMIT")\n'
    sql = "SET search_path TO app;\r\nSELECT 1;\r\n"

    async def scenario() -> None:
        async with session(tmp_path) as (client, _):
            uri = client.open(tmp_path / "app.py", safe_source)
            (diagnostic,) = await client.diagnostics(uri)
            actions = await client.code_actions(uri, diagnostic.range)
            assert [action.title for action in actions] == [
                "Use `SET LOCAL` (lasts until the transaction ends)",
                "Suppress PIN001 with a noqa comment",
                "Fix all safe pinlint findings",
            ]
            fix = actions[0]
            assert fix.is_preferred and fix.kind == types.CodeActionKind.QuickFix
            assert list(fix.diagnostics or []) == [diagnostic]
            fixed = apply(safe_source, edits_of(fix, uri))
            assert fixed == safe_source.replace("SET search_path", "SET LOCAL search_path")
            client.change(uri, fixed)
            assert await client.diagnostics(uri) == []

            sql_uri = client.open(tmp_path / "schema.sql", sql, language="sql")
            (outside,) = await client.diagnostics(sql_uri)
            unsafe, noqa = await client.code_actions(sql_uri, outside.range)
            assert unsafe.title.endswith("(unsafe: check the change)") and not unsafe.is_preferred
            assert "noqa" in noqa.title
            assert apply(sql, edits_of(unsafe, sql_uri)) == sql.replace("SET", "SET LOCAL", 1)

    asyncio.run(scenario())


def test_fix_all_on_save_applies_every_safe_fix(tmp_path: Path) -> None:
    """`source.fixAll` (what editors ask for on save): one edit with every safe fix, in rounds as
    `--fix` applies them; the unsafe one is left, and it is the only diagnostic after the edit."""
    source = (
        "import psycopg\n\n"
        "conn = psycopg.connect(DSN)\n"
        'cur.execute("BEGIN; SET search_path TO app; COMMIT")\n'
        "cur.execute(\"SET work_mem = '8MB'\")\n"
    )

    async def scenario() -> None:
        async with session(tmp_path) as (client, _):
            uri = client.open(tmp_path / "app.py", source)
            found = await client.diagnostics(uri)
            assert sorted(str(d.code) for d in found) == ["PIN001", "PIN001", "PIN023"]
            everywhere = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=5, character=0))
            (fix_all,) = await client.code_actions(uri, everywhere, only=[types.CodeActionKind.SourceFixAll])
            assert fix_all.kind == types.CodeActionKind.SourceFixAll
            fixed = apply(source, edits_of(fix_all, uri))
            assert fixed == source.replace("(DSN)", "(DSN, prepare_threshold=None)").replace(
                "BEGIN; SET search_path", "BEGIN; SET LOCAL search_path"
            )
            client.change(uri, fixed)
            (left,) = await client.diagnostics(uri)
            assert (left.code, left.range.start.line) == ("PIN001", 4)
            assert await client.code_actions(uri, everywhere, only=[types.CodeActionKind.SourceFixAll]) == []


def test_the_buffer_of_a_function_gets_its_poolers_findings(tmp_path: Path) -> None:
    """`--target auto` in the editor: a handler whose template wires it straight to its cluster
    (no pooler) gets no session-state diagnostic; a module no function covers gets every one."""
    template = (
        "Resources:\n  Db:\n    Type: AWS::RDS::DBCluster\n  Api:\n    Type: AWS::Serverless::Function\n"
        "    Properties:\n      CodeUri: api/\n      Handler: app.handler\n      Environment:\n"
        "        Variables:\n          DB_HOST: !GetAtt Db.Endpoint.Address\n"
    )
    (tmp_path / "template.yaml").write_text(template, encoding="utf-8")
    for directory in ("api", "other"):
        (tmp_path / directory).mkdir()
    code = 'def handler(event, context):\n    cur.execute("SET search_path TO app")\n'

    async def scenario() -> None:
        async with session(tmp_path) as (client, _):
            direct = client.open(tmp_path / "api" / "app.py", code)
            assert await client.diagnostics(direct) == []
            elsewhere = client.open(tmp_path / "other" / "app.py", code)
            assert [d.code for d in await client.diagnostics(elsewhere)] == ["PIN001"]

    asyncio.run(scenario())
