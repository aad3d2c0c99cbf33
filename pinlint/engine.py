"""Run the rules over one file: extract fragments, split statements, match, suppress.

The engine knows matcher levels, never individual rules: SQL-level matchers see every
statement of every fragment, Python-level matchers see the calls the extractor recorded.
A file that cannot be read or parsed gives a FileError; the caller goes on with the others.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pathspec

from pinlint.catalog import Rule
from pinlint.config import Settings
from pinlint.declarations import Declarations
from pinlint.dialect import DialectChoice, Evidence, choose_dialect, python_evidence, sql_file_evidence
from pinlint.extract.calls import module_calls, nodes_on_lines
from pinlint.extract.fast import plan
from pinlint.extract.handlers import connections_in_handlers, handler_functions, has_handler_candidates
from pinlint.extract.sinks import ExtractionError, Prefilter, build_prefilter
from pinlint.extract.sqlfile import decode_sql, extract_sql
from pinlint.infra import FileHits, is_infrastructure_path, lint_cdk_source, lint_paths, lint_stacks
from pinlint.matchers import (
    CallArgumentsMatcher,
    ConnectionInHandlerMatcher,
    ConnectOptionMatcher,
    Hit,
    SettingsMatcher,
    StatementCountMatcher,
)
from pinlint.model import HOLE, Finding, Fragment
from pinlint.project import ProjectCondition, sets_key
from pinlint.sql.lexer import DIALECTS
from pinlint.sql.statements import Statement, split_statements
from pinlint.suppress import SQL_IGNORE_RE, SQL_NOQA_RE, PythonSuppressions, parse_codes, python_suppressions

MAX_FILE_BYTES = 20 * 1024 * 1024


def decode_python(data: bytes) -> tuple[str, str]:
    """Decode a Python file as Python does (PEP 263 coding cookie, else UTF-8); return (text, problem)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "invalid or missing encoding" not in str(error):
            return "", f"{error}; skipped"
        encoding = "utf-8"  # not UTF-8 in the first lines, no cookie: say where it breaks
    try:
        return data.decode("utf-8-sig" if encoding == "utf-8-sig" else encoding), ""
    except UnicodeDecodeError as error:
        return "", f"not valid {encoding.upper()} (byte {error.start + 1}); skipped"
    except LookupError:
        return "", f"unknown encoding {encoding}; skipped"


def project_conditions(rules: tuple[Rule, ...]) -> dict[str, ProjectCondition]:
    """Rule code -> the project-wide setting that settles its findings (see pinlint.project)."""
    return {
        rule.code: rule.matcher.unless_project
        for rule in rules
        if isinstance(rule.matcher, CallArgumentsMatcher) and rule.matcher.unless_project is not None
    }


@dataclass(frozen=True)
class ModuleInterest:
    """What the module-level rules look at, so that the ast pass records nothing else."""

    functions: frozenset[str]
    methods: frozenset[str]
    setting_roots: frozenset[str]
    traced_methods: dict[str, frozenset[str]]  # methods whose receiver a rule checks -> imports needed ({}: any)


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: str = ""  # the file could not be linted
    note: str = ""  # linted, with a caveat (e.g. its encoding)
    project_keys: list[str] = field(default_factory=list)  # project-wide settings it makes (pinlint.project)


@dataclass(frozen=True)
class Linter:
    """Rules and settings prepared once for a whole run."""

    rules: tuple[Rule, ...]
    settings: Settings
    declarations: Declarations | None = None  # handler declarations of the project (serverless.yml...)

    @cached_property
    def by_level(self) -> dict[str, tuple[Rule, ...]]:
        """The rules grouped by what their matcher looks at (sql, python, handler, module, suppression)."""
        levels: dict[str, list[Rule]] = {}
        for rule in self.rules:
            levels.setdefault(rule.matcher.level, []).append(rule)
        return {level: tuple(rules) for level, rules in levels.items()}

    def rules_at(self, level: str) -> tuple[Rule, ...]:
        return self.by_level.get(level, ())

    @cached_property
    def _sql_rules_by_dialect(self) -> dict[str, tuple[Rule, ...]]:
        return {
            dialect: tuple(rule for rule in self.rules_at("sql") if dialect in rule.dialects) for dialect in DIALECTS
        }

    def dialect_for(self, path: str, evidence: list[Evidence]) -> DialectChoice:
        """The dialect of the file ``path`` (as the user named it), given what its code shows."""
        settings = self.settings
        path_rule = None
        if settings.per_path_dialect:
            relative = _relative(path, settings.root)
            for glob, dialect in settings.per_path_dialect.items():
                if _glob(glob).match_file(relative):
                    path_rule = (glob, dialect)
                    break
        return choose_dialect(
            evidence, default=settings.dialect, default_origin=settings.dialect_origin, path_rule=path_rule
        )

    def _unused_noqa(self, suppressions: PythonSuppressions, path: str) -> list[Finding]:
        """Line-level ``# noqa: CODE`` for a rule that ran here and found nothing on that line."""
        findings: list[Finding] = []
        active = {rule.code for rule in self.rules}
        for rule in self.rules_at("suppression"):
            for line, code in suppressions.unused(active):
                start, end = suppressions.spans.get(line, (1, 1))
                captures = {"code": code}
                findings.append(_rule_finding(rule, captures, path, (line, start, line, end), (line,)))
        return findings

    @cached_property
    def prefilter(self) -> Prefilter:
        words = {
            word
            for rule in self.rules_at("module")
            if isinstance(rule.matcher, SettingsMatcher)
            for word in rule.matcher.needles
        }
        if self.rules_at("suppression"):
            words.add(("noqa", "PIN"))  # a file whose only news is a stale noqa comment
        return build_prefilter(self.settings.sinks, self.call_names(), words, self.gated_call_names())

    @cached_property
    def fact_names(self) -> tuple[frozenset[str], re.Pattern[str]]:
        """The calls the Python-level matchers read (CallFacts), and what a file must contain for
        any of them to fire (``options=``: without it, no connect call can carry a startup option)."""
        names: set[str] = set()
        needles: list[str] = []
        for rule in self.rules_at("python"):
            if isinstance(rule.matcher, ConnectOptionMatcher):
                names |= rule.matcher.functions
                needles.append(rule.matcher.needle)
        return frozenset(names), re.compile("|".join(needles) or r"(?!x)x")

    @cached_property
    def fact_keywords(self) -> frozenset[str]:
        return frozenset(
            keyword
            for rule in self.rules_at("python")
            if isinstance(rule.matcher, ConnectOptionMatcher)
            for keyword in rule.matcher.keywords
        )

    def call_names(self) -> frozenset[str]:
        """Call names that make any file worth parsing (the connect-option rule reads ``connect()``
        of any object); the module-level rules' names are gated, see ``gated_call_names``."""
        names: set[str] = set()
        for rule in self.rules_at("python"):
            if isinstance(rule.matcher, ConnectOptionMatcher):
                names |= rule.matcher.functions
        for libraries, gated in self.gated_call_names().items():
            if not libraries:
                names |= gated
        return frozenset(names)

    def gated_call_names(self) -> dict[frozenset[str], frozenset[str]]:
        """Call names of the handler and module-level rules, by the libraries a file must name."""
        groups: dict[frozenset[str], frozenset[str]] = {}
        for rule in (*self.rules_at("handler"), *self.rules_at("module")):
            if isinstance(rule.matcher, ConnectionInHandlerMatcher | CallArgumentsMatcher):
                for libraries, names in rule.matcher.gated_call_names.items():
                    groups[libraries] = groups.get(libraries, frozenset()) | names
        return groups

    def lint_source(self, source: str | bytes, path: str) -> FileResult:
        """Lint the contents of one file; ``path`` is how the user named it."""
        if is_infrastructure_path(path):  # templates and Terraform: pinlint.infra
            return next(
                iter(self._infrastructure_results(lint_stacks(self.rules_at("infrastructure"), {path: source}))),
                FileResult(path),
            )
        result = FileResult(path)
        if len(source) > MAX_FILE_BYTES:
            result.error = f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; skipped"
            return result
        if path.endswith(".sql"):
            data = source if isinstance(source, bytes) else source.encode("utf-8")
            text, result.note = decode_sql(data)
            if "\x00" in text:
                result.error = "binary file (contains NUL bytes); skipped"
                return result
            choice = self.dialect_for(path, sql_file_evidence(text))
            result.findings = self._lint_fragments([extract_sql(text, path)], choice)
        else:
            if isinstance(source, bytes):
                text, problem = decode_python(source)
                if problem:
                    result.error = problem
                    return result
            else:
                text = source
            if "\x00" in text:
                result.error = "binary file (contains NUL bytes); skipped"
                return result
            result.project_keys = self._project_keys(text)
            worth_parsing = self.prefilter.worth_parsing(text)
            # a CDK app's constructs; in a parsed file, its noqa comments are applied below with the others
            cdk = lint_cdk_source(self.rules_at("infrastructure"), text, path, apply_noqa=not worth_parsing)
            infrastructure = self._infrastructure_results([FileHits(path, hits=cdk)])[0].findings if cdk else []
            if not worth_parsing:
                result.findings = infrastructure
                return result
            try:
                tree = _parse(text)
                names, needle = self.fact_names
                if not (needle.search(text) and _needle_in_tree(tree, text, needle, self.fact_keywords)):
                    names = frozenset()  # no call here can carry what those rules look for
                planned = plan(text, path, sinks=self.settings.sinks, call_names=names, tree=tree)
                if planned.done and planned.fast is not None:
                    fragments, calls = planned.fast.fragments, []
                else:
                    from pinlint.extract.python import extract_python  # libcst: imported when needed

                    extraction = extract_python(
                        text, path, sinks=self.settings.sinks, call_names=names, tree=tree, planned=planned
                    )
                    fragments, calls = extraction.fragments, extraction.calls
            except ExtractionError as error:
                result.error = str(error)
                return result
            findings: list[Finding] = []
            if fragments:
                choice = self.dialect_for(path, python_evidence(tree, text))
                findings = self._lint_fragments(fragments, choice)
            findings.extend(self._module_findings(text, path, tree))
            findings.extend(infrastructure)
            for call in calls:
                for rule in self.rules_at("python"):
                    for hit in rule.matcher.match_call(call):
                        if hit.fragment is not None:
                            findings.append(self._finding(rule, hit.fragment, hit, ""))
            if findings or self.rules_at("suppression"):
                suppressions = python_suppressions(text)
                findings = [
                    finding for finding in findings if not suppressions.suppresses(finding.code, finding.noqa_lines)
                ]
                findings.extend(self._unused_noqa(suppressions, path))
            result.findings = findings
        result.findings = self._per_file_ignored(result.findings, path)
        result.findings.sort(key=lambda finding: finding.sort_key)
        return result

    def lint_infrastructure(self, paths: list[str]) -> list[FileResult]:
        """The templates and Terraform modules below the directories in ``paths`` (pinlint.infra)."""
        if not self.rules_at("infrastructure"):
            return []
        excludes = self.settings.exclude + self.settings.extend_exclude
        return self._infrastructure_results(
            lint_paths(self.rules_at("infrastructure"), paths, self.settings.root, excludes)
        )

    def _infrastructure_results(self, files: list[FileHits]) -> list[FileResult]:
        results = []
        for file in files:
            findings = [
                _rule_finding(hit.rule, hit.captures, file.path, hit.span.as_tuple(), (hit.span.line,))
                for hit in file.hits
            ]
            findings = sorted(self._per_file_ignored(findings, file.path), key=lambda finding: finding.sort_key)
            results.append(FileResult(file.path, findings, error=file.error))
        return results

    @cached_property
    def project_conditions(self) -> dict[str, ProjectCondition]:
        return project_conditions(self.rules)

    def _project_keys(self, text: str) -> list[str]:
        """The project-wide settings (``KEY=value``) this module makes, for the rules that ask."""
        keys = []
        for condition in set(self.project_conditions.values()):
            if condition.key in text or condition.key.lower() in text:
                tree = _parse(text)
                if tree is not None and sets_key(tree, condition):
                    keys.append(condition.label)
        return keys

    def lint_path(self, path: Path, display: str) -> FileResult:
        try:
            data = path.read_bytes()
        except OSError as error:
            return FileResult(display, error=f"cannot read: {error.strerror or error}")
        return self.lint_source(data, display)

    # ------------------------------------------------------------------------------
    def _lint_fragments(self, fragments: list[Fragment], choice: DialectChoice) -> list[Finding]:
        findings: list[Finding] = []
        rules = self._sql_rules_by_dialect[choice.name]
        if not rules:
            return findings
        counters = [(rule, rule.matcher) for rule in rules if isinstance(rule.matcher, StatementCountMatcher)]
        for fragment in fragments:
            found: list[Finding] = []
            statements = split_statements(fragment.text, psql=fragment.kind == "sql", dialect=choice.name)
            for rule, counter in counters:
                if fragment.kind == "python":
                    for hit in counter.match_statements(statements, fragment.text):
                        found.append(self._finding(rule, fragment, hit, fragment.text.strip(), choice))
            for statement in statements:
                ignored = _statement_ignores(statement)
                for rule in rules:
                    if rule.code in ignored:
                        continue
                    for hit in rule.matcher.match(statement, fragment.text):
                        sql = fragment.text[statement.start : statement.end].strip()
                        found.append(self._finding(rule, fragment, hit, sql, choice))
            findings.extend(_sql_noqa(found, fragment, choice.name))
        return findings

    def _finding(
        self, rule: Rule, fragment: Fragment, hit: Hit, sql: str, choice: DialectChoice | None = None
    ) -> Finding:
        line, column = fragment.source_map.position(hit.start)
        end_line, end_column = fragment.source_map.position(max(hit.end - 1, hit.start))
        message = _format(rule.message, hit.captures)
        if fragment.kind == "python" and fragment.sink:
            if fragment.via_name:
                verb = "is passed to" if rule.matcher.level == "python" else "reaches"
                message += f" (`{fragment.via_name}` {verb} `{fragment.sink}()` on line {fragment.sink_line})"
            elif fragment.sink_line != line:
                verb = "passed to" if rule.matcher.level == "python" else "reaches"
                message += f" ({verb} `{fragment.sink}()` on line {fragment.sink_line})"
        return Finding(
            code=rule.code,
            name=rule.name,
            message=message,
            path=fragment.path,
            line=line,
            column=column,
            end_line=end_line,
            end_column=end_column + 1,
            severity=rule.severity,
            fix=_format(rule.fix, hit.captures),
            targets=dict(rule.targets),
            sql=sql.replace(HOLE, "{…}"),
            noqa_lines=tuple(sorted({line, end_line, *fragment.noqa_lines})),
            dialect=choice.name if choice else "",
            dialect_reason=choice.reason if choice else "",
        )

    @cached_property
    def module_interest(self) -> ModuleInterest:
        """The function names, method names and settings roots the module-level rules look at."""
        functions: set[str] = set()
        methods: set[str] = set()
        traced: dict[str, frozenset[str]] = {}
        anywhere: set[str] = set()
        roots: set[str] = set()
        for rule in self.rules_at("module"):
            if isinstance(rule.matcher, CallArgumentsMatcher):
                functions |= rule.matcher.functions
                methods |= rule.matcher.methods
                if rule.matcher.traces_receivers:
                    for method in rule.matcher.methods:
                        traced[method] = traced.get(method, frozenset()) | rule.matcher.imports
                        if not rule.matcher.imports:
                            anywhere.add(method)
            elif isinstance(rule.matcher, SettingsMatcher):
                roots |= {path[0] for path in rule.matcher.paths}
        traced.update(dict.fromkeys(anywhere, frozenset()))  # one rule without imports: every module
        return ModuleInterest(frozenset(functions), frozenset(methods), frozenset(roots), traced)

    def _module_findings(self, text: str, path: str, tree: ast.Module | None) -> list[Finding]:
        """Findings of the rules that look at a whole module: handlers and driver calls."""
        if (not self.rules_at("handler") and not self.rules_at("module")) or tree is None:
            return []  # (without a tree, the SQL extractor has reported what is wrong with the file)
        declarations = self.declarations or Declarations()
        file = Path(path)
        declared = {declaration.function: declaration.reason for declaration in declarations.for_file(file)}
        use_convention = not declared and not declarations.covers(file)
        if not has_handler_candidates(tree, declared, use_convention):
            declared, use_convention = {}, False  # no handler can be here: skip the analysis
            findings: list[Finding] = []
            defines_handler = False
        else:
            findings = self._handler_findings(tree, text, path, declared, use_convention)
            needs_handlers = any(
                isinstance(rule.matcher, CallArgumentsMatcher) and rule.matcher.handler_module
                for rule in self.rules_at("module")
            )
            defines_handler = needs_handlers and bool(handler_functions(tree, declared, use_convention))
        if self.rules_at("module"):
            calls = module_calls(
                tree,
                text,
                functions=self.module_interest.functions,
                methods=self.module_interest.methods,
                setting_roots=self.module_interest.setting_roots,
                traced_methods=self.module_interest.traced_methods,
            )
            for rule in self.rules_at("module"):
                if isinstance(rule.matcher, CallArgumentsMatcher):
                    hits = rule.matcher.match_module(calls, defines_handler, text)
                elif isinstance(rule.matcher, SettingsMatcher):
                    hits = rule.matcher.match_settings(calls)
                else:
                    continue
                for hit in hits:
                    where = hit.argument or hit.call
                    span = (where.line, where.column, where.end_line, where.end_column)
                    noqa = tuple(sorted({where.line, hit.call.line}))
                    findings.append(_rule_finding(rule, hit.captures, path, span, noqa))
        return findings

    def _handler_findings(
        self, tree: ast.Module, text: str, path: str, declared: dict[str, str], use_convention: bool
    ) -> list[Finding]:
        """Findings of the handler-level rules: connection factories run per invocation."""
        findings = []
        for rule in self.rules_at("handler"):
            matcher = rule.matcher
            if not isinstance(matcher, ConnectionInHandlerMatcher):
                continue
            facts = connections_in_handlers(
                tree,
                text,
                factories=matcher.factories,
                cache_decorators=matcher.cache_decorators,
                declared=declared,
                use_convention=use_convention,
            )
            for fact in facts:
                via = f", through `{fact.via}()`" if fact.via else ""
                captures = {"factory": fact.factory, "handler": fact.handler, "reason": fact.reason, "via": via}
                span = (fact.line, fact.column, fact.end_line, fact.end_column)
                findings.append(_rule_finding(rule, captures, path, span, (fact.line,)))
        return findings

    def _per_file_ignored(self, findings: list[Finding], path: str) -> list[Finding]:
        if not findings or not self.settings.per_file_ignores:
            return findings
        relative = _relative(path, self.settings.root)
        ignored: set[str] = set()
        for glob, codes in self.settings.per_file_ignores.items():
            if _glob(glob).match_file(relative):
                ignored |= {code.upper() for code in codes}
        return [finding for finding in findings if not any(finding.code.startswith(code) for code in ignored)]


def _needle_in_tree(tree: ast.Module | None, source: str, needle: re.Pattern[str], keywords: frozenset[str]) -> bool:
    """The text matched ``needle``; is it really a keyword argument, a dict key or a string
    (not a variable that happens to share the name)? Without a tree, assume it is."""
    if tree is None:
        return True
    for node in nodes_on_lines(tree, source, needle):
        if isinstance(node, ast.keyword) and node.arg in keywords:
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value in keywords or needle.search(node.value))
        ):
            return True
    return False


@lru_cache(maxsize=256)
def _glob(glob: str) -> pathspec.PathSpec[Any]:
    """A config glob (per-file-ignores, per-path-dialect), compiled once per run."""
    return pathspec.GitIgnoreSpec.from_lines([glob])


def _rule_finding(
    rule: Rule,
    captures: dict[str, str],
    path: str,
    span: tuple[int, int, int, int],
    noqa_lines: tuple[int, ...],
) -> Finding:
    """A finding of ``rule`` at ``span`` (line, column, end line, end column), its texts filled in."""
    line, column, end_line, end_column = span
    return Finding(
        code=rule.code,
        name=rule.name,
        message=_format(rule.message, captures),
        path=path,
        line=line,
        column=column,
        end_line=end_line,
        end_column=end_column,
        severity=rule.severity,
        fix=_format(rule.fix, captures),
        targets=dict(rule.targets),
        noqa_lines=noqa_lines,
    )


def _relative(path: str, root: Path) -> str:
    """``path`` relative to the project root, for config globs (as given when it is outside)."""
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _parse(text: str) -> ast.Module | None:
    """CPython's tree of a Python file, or None (newer syntax, nesting too deep: libcst decides)."""
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


_PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _format(template: str, captures: dict[str, str]) -> str:
    """Fill ``{name}`` placeholders from ``captures``; any other brace stays as written."""

    def fill(match: re.Match[str]) -> str:
        value = captures.get(match.group(1))
        return match.group() if value is None else value.replace(HOLE, "{…}")

    return _PLACEHOLDER_RE.sub(fill, template)


def _statement_ignores(statement: Statement) -> set[str]:
    codes: set[str] = set()
    for comment in statement.comments:
        found = SQL_IGNORE_RE.search(comment.value)
        if found:
            codes |= parse_codes(found.group("codes"))
    return codes


_NOQA_PREFILTER = re.compile(r"noqa", re.IGNORECASE)


def _sql_noqa(findings: list[Finding], fragment: Fragment, dialect: str) -> list[Finding]:
    """Drop findings on a line that carries an SQL ``-- noqa: CODE`` comment."""
    if not findings or not _NOQA_PREFILTER.search(fragment.text):
        return findings
    from pinlint.sql.lexer import COMMENT, tokenize

    lines: dict[int, set[str]] = {}
    for token in tokenize(fragment.text, psql=fragment.kind == "sql", dialect=dialect):
        if token.kind == COMMENT:
            found = SQL_NOQA_RE.search(token.value)
            if found:
                line = fragment.source_map.position(token.start)[0]
                lines.setdefault(line, set()).update(parse_codes(found.group("codes")))
    return [finding for finding in findings if finding.code not in lines.get(finding.line, ())]
