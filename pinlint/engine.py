"""Run the rules over one file: extract fragments, split statements, check, suppress.

The engine knows fact types, never individual rules or kinds: it extracts each type of fact
(statements, the statements of one Python string, calls with string arguments, a module's calls
and settings, handler factory calls, unused suppressions) and hands it to the kinds that consume
it (pinlint.kinds). What makes a file worth reading is the merged ``Interest`` of the rules.
A file that cannot be read or parsed gives a FileError; the caller goes on with the others.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pathspec

from pinlint.catalog import Rule, load_catalog
from pinlint.config import Settings
from pinlint.declarations import Declarations
from pinlint.dialect import (
    EMBEDDED,
    DialectChoice,
    Evidence,
    choose_dialect,
    may_be_named,
    name_evidence,
    python_evidence,
    sql_file_evidence,
)
from pinlint.extract.calls import module_calls
from pinlint.extract.dataapi import data_api_calls, mentions_data_api
from pinlint.extract.django_databases import database_entries
from pinlint.extract.routes import may_serve_routes
from pinlint.extract.sinks import Prefilter, build_prefilter
from pinlint.extract.sqlfile import decode_sql, extract_sql
from pinlint.files import MAX_SOURCE_BYTES, UnreadableFile, read_bytes, wide_encoding
from pinlint.findings import finding_at, finding_from_hit, routed
from pinlint.fix.attach import fixable_rules, with_fixes
from pinlint.globs import config_spec
from pinlint.index.project import ProjectIndex
from pinlint.infra import FileHits, is_infrastructure_path, lint_cdk_source, lint_paths, lint_stacks
from pinlint.kinds import consuming
from pinlint.kinds.base import (
    CallKind,
    DataApiKind,
    DatabaseEntryKind,
    HandlerKind,
    Hit,
    IamTokenKind,
    Interest,
    Kind,
    ModuleCallKind,
    ModuleFacts,
    SettingKind,
    StackKind,
    StatementKind,
    StatementsKind,
    SuppressionKind,
    merge_interests,
)
from pinlint.kinds.project_condition import ProjectCondition
from pinlint.matchers import CallHit
from pinlint.model import Finding, Fragment
from pinlint.paths import relative_to_root
from pinlint.project import sets_key
from pinlint.projectfacts import ProjectReader
from pinlint.pymodel import ParseError, PythonModule, parse_python
from pinlint.sql.lexer import DIALECTS
from pinlint.sql.statements import Statement, split_statements
from pinlint.suppress import (
    SQL_IGNORE_RE,
    SQL_NOQA_RE,
    PythonSuppressions,
    misnamed_message,
    parse_codes,
    python_suppressions,
)
from pinlint.targets import DATA_API, Route, TargetMap, host_routes

if TYPE_CHECKING:  # (the readers are imported where a file is read: a run whose results come from the cache needs none)
    from pinlint.extract.iamauth import TokenAtImport, TokenPerInvocation
    from pinlint.extract.python import ResolveWrapper, Wrapper
    from pinlint.extract.values import EntryKey, ResolveImport, ResolveReturn, ReturnedElsewhere

MAX_FILE_BYTES = MAX_SOURCE_BYTES


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
    conditions = {}
    for rule in rules:
        condition = rule.kind.interest.project_condition
        if condition is not None:
            conditions[rule.code] = condition
    return conditions


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
    depends: dict[str, str] = field(default_factory=dict)  # other modules its findings read (path -> digest)
    # module summaries made while linting it, for the cache to keep (not part of the result: a
    # second lint of the same text finds them already made and reports the same findings)
    summaries: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Linter:
    """Rules and settings prepared once for a whole run."""

    rules: tuple[Rule, ...]
    settings: Settings
    declarations: Declarations | None = None  # handler declarations of the project (serverless.yml...)
    projects: ProjectReader | None = None  # what each file's project says about its database
    targets: TargetMap | None = None  # `--target auto`: the pooler of each function (pinlint.targets)
    index: ProjectIndex | None = None  # the project's module summaries (pinlint.index), with the cache's records
    # absolute paths of the Python files the user named (command line, stdin, an editor's buffer):
    # parsed even without a database call, so that a syntax error in them is always reported
    named: frozenset[str] = frozenset()

    @cached_property
    def project_index(self) -> ProjectIndex:
        return self.index if self.index is not None else ProjectIndex(str(self.settings.root))

    @cached_property
    def _kinds(self) -> tuple[tuple[Rule, Kind], ...]:
        return tuple((rule, rule.kind) for rule in self.rules)

    @cached_property
    def call_kinds(self) -> tuple[tuple[Rule, CallKind], ...]:
        return consuming(self._kinds, CallKind)

    @cached_property
    def module_call_kinds(self) -> tuple[tuple[Rule, ModuleCallKind], ...]:
        return consuming(self._kinds, ModuleCallKind)

    @cached_property
    def setting_kinds(self) -> tuple[tuple[Rule, SettingKind], ...]:
        return consuming(self._kinds, SettingKind)

    @cached_property
    def handler_kinds(self) -> tuple[tuple[Rule, HandlerKind], ...]:
        return consuming(self._kinds, HandlerKind)

    @cached_property
    def database_entry_kinds(self) -> tuple[tuple[Rule, DatabaseEntryKind], ...]:
        return consuming(self._kinds, DatabaseEntryKind)

    @cached_property
    def data_api_kinds(self) -> tuple[tuple[Rule, DataApiKind], ...]:
        return consuming(self._kinds, DataApiKind)

    @cached_property
    def iam_token_kinds(self) -> tuple[tuple[Rule, IamTokenKind], ...]:
        return consuming(self._kinds, IamTokenKind)

    @cached_property
    def fixable(self) -> dict[str, Rule]:
        """The rules with an ``[autofix]`` table, by code (pinlint.fix attaches their fixes)."""
        return fixable_rules(self.rules)

    @cached_property
    def stack_rules(self) -> tuple[Rule, ...]:
        """The rules whose kind checks a stack (pinlint.infra reads the stacks and runs them)."""
        return tuple(rule for rule, _ in consuming(self._kinds, StackKind))

    @cached_property
    def suppression_kinds(self) -> tuple[tuple[Rule, SuppressionKind], ...]:
        return consuming(self._kinds, SuppressionKind)

    @cached_property
    def _statement_kinds_by_dialect(self) -> dict[str, tuple[tuple[Rule, StatementKind], ...]]:
        kinds = consuming(self._kinds, StatementKind)
        return {dialect: tuple(pair for pair in kinds if dialect in pair[0].dialects) for dialect in DIALECTS}

    @cached_property
    def _statements_kinds_by_dialect(self) -> dict[str, tuple[tuple[Rule, StatementsKind], ...]]:
        kinds = consuming(self._kinds, StatementsKind)
        return {dialect: tuple(pair for pair in kinds if dialect in pair[0].dialects) for dialect in DIALECTS}

    @cached_property
    def interest(self) -> Interest:
        """What the rules need from a file, merged over all of them."""
        return merge_interests(rule.kind.interest for rule in self.rules)

    def dialect_for(self, path: str, evidence: list[Evidence]) -> DialectChoice:
        """The dialect of the file ``path`` (as the user named it), given what its code shows."""
        settings = self.settings
        path_rule = None
        if settings.per_path_dialect:
            relative = relative_to_root(path, settings.root)
            for glob, dialect in settings.per_path_dialect.items():
                if _glob(glob).match_file(relative):
                    path_rule = (glob, dialect)
                    break
        project = self.projects.for_file(path).evidence if self.projects is not None and not evidence else ()
        named = None
        if not evidence and may_be_named(path):  # ``statement/mysql.py``: heard where nothing else decides
            named = name_evidence(relative_to_root(path, settings.root))
        return choose_dialect(
            evidence,
            default=settings.dialect,
            default_origin=settings.dialect_origin,
            path_rule=path_rule,
            project=project,
            named=named,
        )

    def project_key(self, path: str | Path) -> str:
        """What the file's project says about its database, as its cache key needs it."""
        return self.projects.for_file(path).key if self.projects is not None else ""

    def _unused_noqa(self, suppressions: PythonSuppressions, path: str) -> list[Finding]:
        """Line-level ``# noqa: CODE`` for a rule that ran here and found nothing on that line."""
        findings: list[Finding] = []
        active = {rule.code for rule in self.rules}
        for rule, kind in self.suppression_kinds:
            for line, code in suppressions.unused(active):
                start, end = suppressions.spans.get(line, (1, 1))
                findings.append(finding_at(rule, kind.check(code), path, (line, start, line, end), (line,)))
            for line, entry, why in suppressions.misnamed:  # a noqa entry that is not a rule code
                start, end = suppressions.spans.get(line, (1, 1))
                message, fix = misnamed_message(entry, why)
                found = finding_at(rule, kind.check(entry), path, (line, start, line, end), (line,))
                findings.append(replace(found, message=message, fix=fix))
        return findings

    @cached_property
    def prefilter(self) -> Prefilter:
        interest = self.interest
        return build_prefilter(self.settings.sinks, self.call_names(), set(interest.words), self.gated_call_names())

    @cached_property
    def fact_names(self) -> tuple[frozenset[str], re.Pattern[str]]:
        """The calls recorded with their string arguments as fragments, and what a file must contain
        for any of them to fire (``options=``: without it, no connect call can carry a startup option)."""
        return self.interest.fact_calls, re.compile(self.interest.fact_needle or r"(?!x)x")

    @cached_property
    def fact_keywords(self) -> frozenset[str]:
        return self.interest.fact_keywords

    def call_names(self) -> frozenset[str]:
        """Call names that make any file worth parsing (the connect-option rule reads ``connect()``
        of any object); the module-level rules' names are gated, see ``gated_call_names``."""
        names = set(self.interest.call_names)
        for libraries, gated in self.gated_call_names().items():
            if not libraries:
                names |= gated
        return frozenset(names)

    def gated_call_names(self) -> dict[frozenset[str], frozenset[str]]:
        """Call names of the handler and module-level rules, by the libraries a file must name."""
        return dict(self.interest.gated_call_names)

    def lint_source(self, source: str | bytes, path: str) -> FileResult:
        """Lint the contents of one file; ``path`` is how the user named it."""
        if is_infrastructure_path(path):  # templates and Terraform: pinlint.infra
            return next(
                iter(self._infrastructure_results(lint_stacks(self.stack_rules, {path: source}))),
                FileResult(path),
            )
        result = FileResult(path)
        if len(source) > MAX_FILE_BYTES:
            result.error = f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; skipped"
            return result
        if isinstance(source, bytes) and wide_encoding(source):
            result.error = f"{wide_encoding(source)}; skipped"
            return result
        if path.endswith(".sql"):
            data = source if isinstance(source, bytes) else source.encode("utf-8")
            text, result.note = decode_sql(data)
            if "\x00" in text:
                result.error = "binary file (contains NUL bytes); skipped"
                return result
            choice = self.dialect_for(path, sql_file_evidence(text))
            fragment = extract_sql(text, path)
            result.findings = with_fixes(
                self._lint_fragments([fragment], choice), self.fixable, text, [fragment], sql=True
            )
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
            parsed = _Parsed(text)
            result.project_keys = self._project_keys(text, parsed)
            in_project = self._project_may_have_wrappers(path)
            calls_sinks = (
                self.prefilter.worth_parsing(text)
                or self._may_define_handler(text, path)
                or bool(self.database_entry_kinds and self._served_settings(path))
            )
            from pinlint.extract.python import extract_python, may_send_sql_text

            worth_parsing = calls_sinks or (in_project and may_send_sql_text(text))
            # a CDK app's constructs; in a parsed file, its noqa comments are applied below with the others
            cdk = lint_cdk_source(self.stack_rules, text, path, parsed.model_or_none, apply_noqa=not worth_parsing)
            infrastructure = self._infrastructure_results([FileHits(path, hits=cdk)])[0].findings if cdk else []
            if not worth_parsing:
                result.findings = infrastructure
                if os.path.abspath(path) in self.named:  # named by the user: its syntax error is still said
                    try:
                        parsed.model()
                    except ParseError as error:
                        result.error = str(error)
                return result
            try:
                model = parsed.model()
            except ParseError as error:
                if calls_sinks or os.path.abspath(path) in self.named:  # (read only for wrappers: as unparsed)
                    result.error = str(error)
                result.findings = infrastructure
                return result
            names, needle = self.fact_names
            if not (needle.search(text) and _needle_in_tree(model, needle, self.fact_keywords)):
                names = frozenset()  # no call here can carry what those rules look for
            index = self.project_index
            index.begin()
            absolute = os.path.abspath(path)
            imported = _imported_strings(index, model, absolute)
            # (outside such a project, a module by the handler convention reads them too)
            from pinlint.extract.handlers import CONVENTION_NAMES

            reads_wrappers = in_project or (
                ("def lambda_handler" in text or "def handler" in text)
                and _handler_def(CONVENTION_NAMES).search(text) is not None
            )
            wrappers = _imported_wrappers(index, model, absolute, str(self.settings.root)) if reads_wrappers else None
            extraction = extract_python(
                model,
                path,
                sinks=self.settings.sinks,
                call_names=names,
                resolve_import=imported,
                resolve_wrapper=wrappers,
                resolve_return=_returned_strings(index, model, os.path.abspath(path), str(self.settings.root)),
            )
            fragments, calls = extraction.fragments, extraction.calls
            findings: list[Finding] = []
            if fragments:
                choice = self.dialect_for(path, python_evidence(model))
                findings = self._lint_fragments(fragments, choice)
            findings.extend(self._module_findings(model, path, source))
            findings.extend(self._database_entry_findings(model, path))
            findings.extend(self._data_api_findings(model, path, fragments))
            findings.extend(self._iam_token_findings(model, path))
            result.depends = {module: digest for module, digest in index.reads.items() if module != absolute}
            result.summaries, index.fresh = index.fresh, {}
            findings.extend(infrastructure)
            if calls and self.call_kinds and self._unfronted(model, path):
                calls = []
            for call in calls:
                for rule, kind in self.call_kinds:
                    for hit in kind.check(call):
                        if hit.fragment is not None:
                            findings.append(finding_from_hit(rule, hit.fragment, hit, "", on_call=True))
            if findings or self.suppression_kinds:
                suppressions = python_suppressions(text, _rule_codes_by_name())
                findings = [
                    finding for finding in findings if not suppressions.suppresses(finding.code, finding.noqa_lines)
                ]
                findings.extend(self._unused_noqa(suppressions, path))
                if suppressions.misnamed and not self.suppression_kinds:  # PIN100 is off: say it as a note
                    line, _, why = suppressions.misnamed[0]
                    more = f" (and {len(suppressions.misnamed) - 1} more)" if len(suppressions.misnamed) > 1 else ""
                    note = f"line {line}: `noqa` entry {why}, so it silences nothing{more}"
                    result.note = f"{result.note}; {note}" if result.note else note
            result.findings = with_fixes(findings, self.fixable, text, fragments, sql=False, model=model)
            if self.targets is not None and findings and not self.targets.for_file(path):
                own = host_routes(_module_strings(model), path)  # a host the module names itself
                result.findings = self._routed(result.findings, path, own) if own else result.findings
        result.findings = self._routed(self._per_file_ignored(result.findings, path), path)
        result.findings.sort(key=lambda finding: finding.sort_key)
        return result

    def _routed(self, findings: list[Finding], path: str, routes: tuple[Route, ...] = ()) -> list[Finding]:
        """With ``--target auto``, the findings that matter on the poolers the file's function goes
        through (``routes``, else the project's for the file; all of them when that is not known); a
        stack's findings (a CDK app) stay as they are."""
        if not routes:
            routes = self.targets.for_file(path) if self.targets is not None and findings else ()
        if not routes:
            return findings
        stack_codes = {rule.code for rule in self.stack_rules}
        # Through the Data API, a Data API rule's finding (ok on every pooler) says what the SQL at
        # its place does there; a pooler rule's finding on the same SQL would only repeat it wrongly.
        data_api_places = (
            {(f.line, f.column) for f in findings if _about_no_pooler(f)}
            if any(route.target == DATA_API for route in routes)
            else set()
        )
        kept = []
        for finding in findings:
            if (finding.line, finding.column) in data_api_places and not _about_no_pooler(finding):
                continue
            narrowed = finding if finding.code in stack_codes else routed(finding, routes)
            if narrowed is not None:
                kept.append(narrowed)
        return kept

    def lint_infrastructure(self, paths: list[Path]) -> list[FileResult]:
        """The templates and Terraform modules discovery found in its walk (pinlint.infra)."""
        if not self.stack_rules:
            return []
        return self._infrastructure_results(lint_paths(self.stack_rules, [path.as_posix() for path in paths]))

    def _infrastructure_results(self, files: list[FileHits]) -> list[FileResult]:
        results = []
        for file in files:
            findings = [
                finding_at(hit.rule, hit.captures, file.path, hit.span.as_tuple(), (hit.span.line,))
                for hit in file.hits
            ]
            findings = sorted(self._per_file_ignored(findings, file.path), key=lambda finding: finding.sort_key)
            results.append(FileResult(file.path, findings, error=file.error))
        return results

    @cached_property
    def project_conditions(self) -> dict[str, ProjectCondition]:
        return project_conditions(self.rules)

    def _project_keys(self, text: str, parsed: _Parsed) -> list[str]:
        """The project-wide settings (``KEY=value``) this module makes, for the rules that ask."""
        keys = []
        for condition in set(self.project_conditions.values()):
            if condition.key in text or condition.key.lower() in text:
                model = parsed.model_or_none()
                if model is not None and sets_key(model.tree, condition):
                    keys.append(condition.label)
        return keys

    def lint_path(self, path: Path, display: str) -> FileResult:
        try:
            data = read_bytes(path, MAX_FILE_BYTES)
        except UnreadableFile as error:
            return FileResult(display, error=f"{error}; skipped")
        return self.lint_source(data, display)

    # ------------------------------------------------------------------------------
    def _lint_fragments(self, fragments: list[Fragment], choice: DialectChoice) -> list[Finding]:
        findings: list[Finding] = []
        kinds = self._statement_kinds_by_dialect.get(choice.name, ())
        counters = self._statements_kinds_by_dialect.get(choice.name, ())
        if not kinds and not counters:  # also an EMBEDDED file's: no pooler fronts its database
            return findings
        results: list[tuple[Fragment, list[Finding]]] = []
        for fragment in fragments:
            found: list[Finding] = []
            statements = split_statements(fragment.text, psql=fragment.kind == "sql", dialect=choice.name)
            fragment.statements = statements
            if fragment.read_from:  # a file's text sent in one call: only what counts the whole text
                found = [
                    finding_from_hit(rule, fragment, hit, "", choice)
                    for rule, kind in kinds
                    if kind.whole_text and statements
                    for hit in kind.check(replace(statements[0], end=len(fragment.text)), fragment.text)
                ]
                results.append((fragment, found))
                continue
            if fragment.kind == "python":  # the statements of one string passed to one call
                for rule, counter in counters:
                    for hit in counter.check(statements, fragment.text):
                        found.append(finding_from_hit(rule, fragment, hit, fragment.text.strip(), choice))
            for statement in statements:
                ignored = _statement_ignores(statement)
                for rule, kind in kinds:
                    if rule.code in ignored:
                        continue
                    for hit in kind.check(statement, fragment.text):
                        sql = fragment.text[statement.start : statement.end].strip()
                        found.append(finding_from_hit(rule, fragment, hit, sql, choice))
            results.append((fragment, _sql_noqa(found, fragment, choice.name)))
        from pinlint.extract.values import merge_alternatives

        return merge_alternatives(results)  # one finding per place for the possible values of one argument

    @cached_property
    def module_interest(self) -> ModuleInterest:
        """The function names, method names and settings roots the module-level rules look at."""
        interest = self.interest
        return ModuleInterest(
            interest.module_functions, interest.module_methods, interest.setting_roots, dict(interest.traced_methods)
        )

    def _may_define_handler(self, text: str, path: str) -> bool:
        """Can this file define a handler the handler rules would follow into other modules? (a
        module-level ``def`` of a conventional name, anything a declaration names here, or routes
        of an app served by a Lambda adapter or of a Lambda-only framework)"""
        if not self.handler_kinds and not self.loaded_call_kinds:
            return False
        if may_serve_routes(text):
            return True
        declarations = self.declarations or Declarations()
        if not declarations.by_file and "def lambda_handler" not in text and "def handler" not in text:
            return False  # (the common case, decided by substring searches)
        declared, use_convention = declarations.policy(Path(path))
        if declared:
            # a declared function, or a served app object whose routes are handlers
            return True
        from pinlint.extract.handlers import CONVENTION_NAMES

        return use_convention and _handler_def(CONVENTION_NAMES).search(text) is not None

    def _project_may_have_wrappers(self, path: str) -> bool:
        """Is the file in a project whose modules may send SQL through each other's wrappers
        (``execute_query("SET ...")`` with ``execute_query`` from ``common/db.py``)? One that declares
        Lambda handlers or whose dependencies name a database server: a tree of library code, such
        as the standard library, pays nothing for it (its imports would resolve into itself). A
        module that may define a handler reads them in any project."""
        declarations = self.declarations
        if declarations is not None and declarations.by_file:
            return True
        projects = self.projects
        return projects is not None and any(item.dialect != EMBEDDED for item in projects.for_file(path).evidence)

    def _unfronted(self, model: PythonModule, path: str) -> bool:
        """Whether the file's own code names only databases no pooler fronts (an Oracle driver or
        URL, a sqlite engine: pinlint.dialect): its driver and library calls are not judged, as its
        SQL is not. A project of embedded databases is not enough: its files' calls are still judged."""
        evidence = python_evidence(model)
        return bool(evidence) and self.dialect_for(path, evidence).name == EMBEDDED

    def _module_findings(self, model: PythonModule, path: str, source: str | bytes = "") -> list[Finding]:
        """Findings of the rules that look at a whole module: handlers and driver calls."""
        from pinlint.extract.handlers import handler_functions, has_handler_candidates

        module_rules = self.module_call_kinds or self.setting_kinds
        if not self.handler_kinds and not module_rules:
            return []
        declarations = self.declarations or Declarations()
        file = Path(path)
        declared, use_convention = declarations.policy(file)
        if not has_handler_candidates(model, declared, use_convention):
            declared, use_convention = {}, False  # no handler can be here: skip the analysis
            findings: list[Finding] = []
            defines_handler = False
        else:
            findings = self._handler_findings(model, path, declared, use_convention, source or model.source)
            handlers = handler_functions(model, declared, use_convention) if self.interest.needs_handlers else {}
            defines_handler = bool(handlers)
            if handlers:
                findings += self._loaded_module_findings(model, path, handlers, source or model.source)
        if module_rules:
            calls = module_calls(
                model,
                functions=self.module_interest.functions,
                methods=self.module_interest.methods,
                setting_roots=self.module_interest.setting_roots,
                traced_methods=self.module_interest.traced_methods,
            )
            module = ModuleFacts(calls, defines_handler, model.source)
            hits: list[tuple[Rule, CallHit]] = []
            call_kinds = self.module_call_kinds if calls.calls and not self._unfronted(model, path) else ()
            for rule, kind in call_kinds:
                found = [(rule, hit) for call in calls.calls for hit in kind.check(call, module)]
                if found and kind.applies(module):  # (its source test runs only where it would flag)
                    hits.extend(found)
            for rule, setting_kind in self.setting_kinds:
                hits.extend((rule, hit) for setting in calls.settings for hit in setting_kind.check(setting))
            for rule, hit in hits:
                where = hit.argument or hit.call
                span = (where.line, where.column, where.end_line, where.end_column)
                noqa = tuple(sorted({where.line, hit.call.line}))
                findings.append(finding_at(rule, hit.captures, path, span, noqa))
        return findings

    @cached_property
    def loaded_call_kinds(self) -> tuple[tuple[Rule, ModuleCallKind, frozenset[str]], ...]:
        """The module-call kinds that also judge the modules a handler's module loads, with their functions."""
        return tuple(
            (rule, kind, kind.loaded_functions()) for rule, kind in self.module_call_kinds if kind.loaded_functions()
        )

    def _loaded_module_findings(
        self, model: PythonModule, path: str, handlers: dict[str, str], source: str | bytes
    ) -> list[Finding]:
        """Findings on the import-time calls of the project modules this handler module loads
        (pinlint.index.loads), each placed on the import here that leads to the module: this file's
        result then depends on those modules (their digests go into ``FileResult.depends``), never
        the other way round, so a module's own result does not depend on who imports it."""
        kinds = self.loaded_call_kinds
        if not kinds:
            return []
        from pinlint.extract.handlers import handler_functions
        from pinlint.index.loads import loaded_modules
        from pinlint.index.summary import import_time_imports

        wanted = frozenset().union(*(functions for _, _, functions in kinds))
        index = self.project_index
        absolute = os.path.abspath(path)
        index.add(absolute, source, model)
        imports: dict[str, ast.AST] = {}
        for reference, node in import_time_imports(model):
            imports.setdefault(reference, node)
        findings: list[Finding] = []
        loader, loader_short = _loaded_by(handlers), _loaded_by(handlers, place=False)
        declarations = self.declarations or Declarations()
        root = index.project_root(os.path.dirname(absolute))  # where the message's paths start
        for loaded in loaded_modules(index, absolute, list(imports)):
            summary = index.summary(loaded.path)
            if summary is None or not wanted.intersection(summary.import_calls):
                continue
            text = index.module_text(loaded.path)
            loaded_model = _parsed_or_none(text) if text is not None else None
            if loaded_model is None or handler_functions(loaded_model, *declarations.policy(Path(loaded.path))):
                continue  # (a module that defines a handler itself has these findings in its own result)
            calls = module_calls(
                loaded_model, functions=wanted, methods=frozenset(), setting_roots=frozenset(), traced_methods={}
            )
            facts = ModuleFacts(calls, True, loaded_model.source)
            suppressions = python_suppressions(loaded_model.source, _rule_codes_by_name())
            shown = relative_to_root(loaded.path, root)
            node = imports[loaded.first]
            line = getattr(node, "lineno", 1)
            end_line = getattr(node, "end_lineno", None) or line
            span = (
                line,
                model.column(line, getattr(node, "col_offset", 0)),
                end_line,
                model.column(end_line, getattr(node, "end_col_offset", 0)),
            )
            for rule, kind, functions in kinds:
                if not kind.applies(facts):
                    continue
                for call in calls.calls:
                    if call.in_function or call.name not in functions:
                        continue
                    for hit in kind.check(call, facts):
                        where = hit.argument or hit.call
                        if suppressions.suppresses(rule.code, tuple(sorted({where.line, call.line}))):
                            continue  # a noqa on the call in its own module
                        through = _through(loaded.chain, root)  # with it, no room for the declaration's place
                        site = f" in {shown}:{call.line}{through}"
                        captures = {**hit.captures, "site": site, "module": loader_short if through else loader}
                        findings.append(finding_at(rule, captures, path, span, (line,)))
        return findings

    def _served_settings(self, path: str) -> str:
        """What serves this Django settings module on Lambda ('' when nothing pinlint sees does)."""
        declarations = self.declarations
        return declarations.lambda_settings.get(os.path.abspath(path), "") if declarations is not None else ""

    def _database_entry_findings(self, model: PythonModule, path: str) -> list[Finding]:
        """Findings of the rules on Django's ``DATABASES`` entries (pinlint.extract.django_databases)."""
        if not self.database_entry_kinds or "DATABASES" not in model.source:
            return []
        served = self._served_settings(path)
        kinds = [(rule, kind) for rule, kind in self.database_entry_kinds if served or not kind.lambda_served]
        findings: list[Finding] = []
        for entry in database_entries(model) if kinds else []:
            for rule, kind in kinds:
                for hit in kind.check(entry):
                    where = hit.argument or hit.call
                    span = (where.line, where.column, where.end_line, where.end_column)
                    findings.append(finding_at(rule, {**hit.captures, "served": served}, path, span, (where.line,)))
        return findings

    def _data_api_findings(self, model: PythonModule, path: str, fragments: list[Fragment]) -> list[Finding]:
        """Findings of the RDS Data API rules: calls of an rds-data client (pinlint.extract.dataapi)."""
        if not self.data_api_kinds or not mentions_data_api(model.source):
            return []
        choice = self.dialect_for(path, python_evidence(model))
        findings = []
        for call in data_api_calls(model, fragments, choice.name):
            for rule, kind in self.data_api_kinds:
                if choice.name not in rule.dialects:
                    continue
                for hit in kind.check(call):
                    if hit.fragment is not None:
                        where = Hit(hit.start, hit.end, hit.captures)
                        findings.append(finding_from_hit(rule, hit.fragment, where, hit.sql, choice))
                    elif hit.span is not None:
                        noqa = tuple(sorted({hit.span[0], call.span[0]}))
                        findings.append(finding_at(rule, hit.captures, path, hit.span, noqa))
        return findings

    def _iam_token_findings(self, model: PythonModule, path: str) -> list[Finding]:
        """Findings of the IAM token rules (pinlint.extract.iamauth)."""
        if not self.iam_token_kinds or "generate_db_auth_token" not in model.source:
            return []
        from pinlint.extract.handlers import handler_functions
        from pinlint.extract.iamauth import import_time_tokens, invocation_tokens

        findings = []
        for rule, kind in self.iam_token_kinds:
            facts: list[TokenAtImport] | list[TokenPerInvocation]
            if kind.reads == "import-time":
                declared, use_convention = (self.declarations or Declarations()).policy(Path(path))
                handlers = handler_functions(model, declared, use_convention)  # a long-lived environment
                facts = import_time_tokens(
                    model, kind.pools, kind.connects, handler_module=bool(handlers), handlers=handlers
                )
            else:
                declared, use_convention = (self.declarations or Declarations()).policy(Path(path))
                facts = invocation_tokens(
                    model,
                    connects=kind.connects,
                    cache_decorators=kind.cache_decorators,
                    declared=declared,
                    use_convention=use_convention,
                    path=path,
                    source=model.source,
                    index=self.project_index,
                )
            for fact in facts:
                captures = kind.check(fact)
                if captures is not None:
                    findings.append(finding_at(rule, captures, path, fact.span, (fact.span[0],)))
        return findings

    def _handler_findings(
        self, model: PythonModule, path: str, declared: dict[str, str], use_convention: bool, source: str | bytes
    ) -> list[Finding]:
        """Findings of the handler-level rules: connection factories run per invocation."""
        from pinlint.extract.handlers import connections_in_handlers

        findings = []
        for rule, kind in self.handler_kinds:
            facts = connections_in_handlers(
                model,
                path=path,
                source=source,
                index=self.project_index,
                root=str(self.settings.root),
                factories=kind.functions,
                cache_decorators=kind.cache_decorators,
                opens_nothing=kind.opens_nothing,
                declared=declared,
                use_convention=use_convention,
            )
            for fact in facts:
                span = (fact.line, fact.column, fact.end_line, fact.end_column)
                findings.append(finding_at(rule, kind.check(fact), path, span, (fact.line,)))
        return findings

    def _per_file_ignored(self, findings: list[Finding], path: str) -> list[Finding]:
        if not findings or not self.settings.per_file_ignores:
            return findings
        relative = relative_to_root(path, self.settings.root)
        ignored: set[str] = set()
        for glob, codes in self.settings.per_file_ignores.items():
            if _glob(glob).match_file(relative):
                ignored |= {code.upper() for code in codes}
        return [finding for finding in findings if not any(finding.code.startswith(code) for code in ignored)]


def _import_references(model: PythonModule) -> dict[str, str]:
    """Each name the module imports -> the index's reference to it (``@common.db.run``, ``@.db``)."""
    from pinlint.index.summary import relative_imports

    imports = {name: f"@{dotted}" for name, dotted in model.imports.items()}
    imports.update({name: f"@{dotted}" for name, dotted in relative_imports(model).items()})
    return imports


def _imported_strings(index: ProjectIndex, model: PythonModule, path: str) -> ResolveImport:
    """An imported name (and a key) -> the string constant the project module it comes from binds
    it to (the entry under that key of its dict, list or tuple literal)."""
    imports = _import_references(model)

    def imported(name: str, key: EntryKey | None = None) -> str | None:
        reference = imports.get(name)
        return index.string_constant(path, reference, key) if reference else None

    return imported


def _through(chain: tuple[str, ...], root: str) -> str:
    """`` (through app/utils.py)``: the modules between the import a loaded-module finding is
    placed on and the module of the call (``Loaded.chain``), so the import's line is explained
    when it does not name that module itself; '' when it does."""
    between = [relative_to_root(path, root) for path in chain[:-1]]
    if not between:
        return ""
    if len(between) > 3:
        between = [between[0], f"{len(between) - 2} more modules", between[-1]]  # a long chain: its ends
    return f" (through {' -> '.join(between)})"


def _loaded_by(handlers: dict[str, str], *, place: bool = True) -> str:
    """``a module loaded by handler `create` (serverless.yml line 9)``: the handlers of the module
    whose imports load another, for a finding's message (the declaration's place when one says it
    and ``place``)."""
    names = list(handlers)
    if len(names) == 1:
        reason = handlers[names[0]]
        said = f" ({reason.removeprefix('declared in ')})" if place and reason.startswith("declared in ") else ""
        return f"a module loaded by handler `{names[0]}`{said}"
    if len(names) == 2:
        return f"a module loaded by handlers `{names[0]}` and `{names[1]}`"
    return f"a module loaded by handler `{names[0]}` and {len(names) - 1} more"


def _parsed_or_none(text: str) -> PythonModule | None:
    try:
        return parse_python(text)
    except ParseError:
        return None


def _imported_wrappers(index: ProjectIndex, model: PythonModule, path: str, root: str) -> ResolveWrapper:
    """A callee through one of the module's imports -> the wrapper another module of the project
    defines there (``ProjectIndex.wrapper``), as the reader uses it: named by its sink, whose file
    and line the finding shows, with the wrappers in between."""
    from pinlint.extract.python import Wrapper

    imports = _import_references(model)

    def wrapper(name: str, attributes: str, method: str) -> Wrapper | None:
        reference = imports.get(name)
        if reference is None:
            return None
        reference += f".{attributes}" if attributes else ""
        found = index.wrapper(path, f"(){reference}.{method}" if method else reference)
        if found is None:
            return None
        if found.method and not method:  # ``Database.run(db, sql)``: through the class, ``self`` comes first
            owner = index.resolve(path, reference.rpartition(".")[0])
            if owner is not None and owner.kind == "class":
                return None
        shown = relative_to_root(found.path, root) if root else found.path
        through = " -> ".join(f"`{name}()`" for name in found.names)
        place = f" in {shown}:{found.line} through {through}"
        first = found.names[0]
        return Wrapper(
            first, found.method, found.parameter, found.position, found.keyword, found.sink, found.line, "", place
        )

    return wrapper


def _returned_strings(index: ProjectIndex, model: PythonModule, path: str, root: str) -> ResolveReturn:
    """An imported name and the attributes after it -> the strings the project function it names
    returns (its summary's ``sql_returns``), and where that function is (" in locklib/lock.py:8",
    its file as the finding shows files, and its def's line)."""
    imports = _import_references(model)

    def returned(name: str, attributes: tuple[str, ...]) -> ReturnedElsewhere | None:
        reference = imports.get(name)
        if not reference:
            return None
        reference = ".".join([reference, *attributes])
        texts = index.sql_returns(path, reference)
        if not texts:
            return None
        module, rest = index.module(path, reference[1:])
        summary = index.summary(module) if module else None
        qualified = ".".join(rest)
        line = summary.sql_return_lines.get(qualified) if summary is not None else None
        parameters = summary.sql_return_parameters.get(qualified) if summary is not None else None
        shown = relative_to_root(module, root) if module and root else module
        return texts, f" in {shown}:{line}" if shown and line else "", parameters

    return returned


def _about_no_pooler(finding: Finding) -> bool:
    """A finding that is ``ok`` on every pooler: about pinlint itself or about the Data API."""
    return all(value == "ok" for value in finding.targets.values())


def _needle_in_tree(model: PythonModule, needle: re.Pattern[str], keywords: frozenset[str]) -> bool:
    """The text matched ``needle``; is it really a keyword argument, a dict key or a string
    (not a variable that happens to share the name)?"""
    for node in model.nodes_on_lines(needle):
        if isinstance(node, ast.keyword) and node.arg in keywords:
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (node.value in keywords or needle.search(node.value))
        ):
            return True
    return False


def _module_strings(model: PythonModule) -> list[tuple[str, int]]:
    """The module's string constants with their lines, docstrings left out (a host named in
    documentation says nothing about where the code connects). One walk: it visits a module, def
    or class before the constants of its body."""
    docstrings: set[int] = set()
    found: list[tuple[str, int]] = []
    for node in ast.walk(model.tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            found.append((node.value, node.lineno))
    return found


class _Parsed:
    """A Python file's model, parsed once when a stage first asks for it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._model: PythonModule | None = None
        self._error: ParseError | None = None

    def model(self) -> PythonModule:
        if self._model is None and self._error is None:
            try:
                self._model = parse_python(self.text)
            except ParseError as error:
                self._error = error
        if self._error is not None:
            raise self._error
        assert self._model is not None
        return self._model

    def model_or_none(self) -> PythonModule | None:
        try:
            return self.model()
        except ParseError:
            return None


@lru_cache(maxsize=64)
def _handler_def(names: tuple[str, ...]) -> re.Pattern[str]:
    """A module-level ``def`` (or ``async def``) of one of ``names``."""
    return re.compile(rf"^(?:async[ \t]+)?def[ \t]+(?:{'|'.join(map(re.escape, names))})[ \t]*\(", re.MULTILINE)


@lru_cache(maxsize=256)
def _glob(glob: str) -> pathspec.PathSpec[Any]:
    """A config glob (per-file-ignores, per-path-dialect), compiled once per run."""
    return config_spec([glob])


def _statement_ignores(statement: Statement) -> set[str]:
    codes: set[str] = set()
    for comment in statement.comments:
        found = SQL_IGNORE_RE.search(comment.value)
        if found:
            codes |= parse_codes(found.group("codes"))
    return codes


_NOQA_PREFILTER = re.compile(r"noqa", re.IGNORECASE)


@lru_cache(maxsize=1)
def _rule_codes_by_name() -> dict[str, str]:
    """Every rule's name -> its code (the whole catalog): what a noqa entry is checked against."""
    return {rule.name: rule.code for rule in load_catalog()}


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
