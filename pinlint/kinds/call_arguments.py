"""Kind ``call-arguments`` (Python): calls of library functions (or methods, in modules importing a
library) whose literal arguments set, or fail to set, an option: ``prepare_threshold=None``,
``withhold=True``, ``max_size=10``."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pinlint.extract.calls import DYNAMIC, Argument
from pinlint.extract.calls import Call as ModuleCall
from pinlint.kinds.base import Interest, ModuleCallKind, ModuleFacts, compile_regex, gated_by_package
from pinlint.kinds.project_condition import ProjectCondition
from pinlint.kinds.schema import BOOLEAN, INTEGER, NUMBER, REGEX, STRING, STRINGS, TABLE, TABLES, Key
from pinlint.matchers import CallHit

ARGUMENT_KEYS = (
    Key("keyword", STRING, "The argument's keyword.", required=True),
    Key("position", INTEGER, "The same argument given positionally, 0 for the first."),
    Key("dict-keywords", STRINGS, "Also look for the keyword in these dict-literal keywords: `kwargs={...}`."),
    Key("flag-values", STRINGS, "Holds when the argument is one of these literals (as Python writes them)."),
    Key("safe-values", STRINGS, "Holds when the argument is a literal that is none of these."),
    Key("flag-if-missing", BOOLEAN, "Holds when the argument is not given.", default="false"),
    Key("any-value", BOOLEAN, "Holds when the argument is any literal but `None`.", default="false"),
    Key("present", BOOLEAN, "Holds when the argument is given at all, also computed at run time.", default="false"),
    Key("greater-than", NUMBER, "Holds when the argument is a number above this."),
    Key("default", NUMBER, "The library's default, for `greater-than` when the argument is missing."),
    Key("functions", STRINGS, "The condition applies to calls of these functions only."),
    Key("value-regex", REGEX, "Holds when the string (or an f-string's leading text) matches this."),
    Key(
        "keys-in",
        STRINGS,
        "Holds when the argument is a dict literal with one of these string keys (any letter case);"
        " the key is the value.",
    ),
    Key(
        "keys-not-in",
        STRINGS,
        "Holds when the argument is a dict literal with a string key outside these (any letter case);"
        " the key is the value.",
    ),
)


@dataclass(frozen=True)
class ArgumentCondition:
    """One test on one argument of a call (``[[match.arguments]]`` and its kin)."""

    keyword: str
    position: int | None = None
    dict_keywords: tuple[str, ...] = ()
    flag_values: frozenset[str] = frozenset()
    safe_values: frozenset[str] = frozenset()
    flag_if_missing: bool = False
    any_value: bool = False
    present: bool = False
    greater_than: float | None = None
    default: float | None = None
    functions: frozenset[str] = frozenset()
    value_regex: re.Pattern[str] | None = None
    keys_in: frozenset[str] | None = None  # lower-cased
    keys_not_in: frozenset[str] | None = None  # lower-cased

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> ArgumentCondition:
        return cls(
            keyword=table["keyword"],
            position=table.get("position"),
            dict_keywords=tuple(table.get("dict-keywords", [])),
            flag_values=frozenset(table.get("flag-values", [])),
            safe_values=frozenset(table.get("safe-values", [])),
            flag_if_missing=table.get("flag-if-missing", False),
            any_value=table.get("any-value", False),
            present=table.get("present", False),
            greater_than=table.get("greater-than"),
            default=table.get("default"),
            functions=frozenset(table.get("functions", [])),
            value_regex=compile_regex(table.get("value-regex")),
            keys_in=_lower_set(table.get("keys-in")),
            keys_not_in=_lower_set(table.get("keys-not-in")),
        )

    def _find(self, call: ModuleCall) -> Argument | None:
        if self.keyword in call.keywords:
            return call.keywords[self.keyword]
        if self.position is not None and len(call.positional) > self.position:
            return call.positional[self.position]
        unknown = Argument(DYNAMIC, call.line, call.column, call.end_line, call.end_column)
        for container in self.dict_keywords:
            if container in call.keywords and container not in call.dict_keywords:
                return unknown  # kwargs=options: built at run time
            found = call.dict_keywords.get(container, {}).get(self.keyword)
            if found is not None:
                return found
        if call.star_kwargs:
            return unknown  # f(**options) may set it
        return None

    def check(self, call: ModuleCall) -> tuple[Argument | None, str] | None:
        """(the offending argument or None when it is missing, its value) or None when fine."""
        if self.functions and call.name not in self.functions:
            return None
        argument = self._find(call)
        if argument is None:
            if self.flag_if_missing:
                return None, "not set"
            if self.greater_than is not None and self.default is not None and self.default > self.greater_than:
                return None, f"{self.default:g} by default"
            return None
        value = argument.value
        if self.present:
            return argument, value
        if self.value_regex is not None:
            found = self.value_regex.search(argument.text)
            return (argument, found.group()) if found else None
        if self.keys_in is not None or self.keys_not_in is not None:
            return self._dict_key(call, argument)
        if value == DYNAMIC:
            return None  # computed at run time: pinlint cannot tell
        if value in self.flag_values:
            return argument, value
        if self.safe_values and value not in self.safe_values:
            return argument, value
        if self.any_value and value != "None":
            return argument, value
        if self.greater_than is not None:
            try:
                if float(value) > self.greater_than:
                    return argument, value
            except ValueError:
                return None
        return None

    def _chosen_key(self, key: str) -> bool:
        lowered = key.lower()
        return (self.keys_in is None or lowered in self.keys_in) and (
            self.keys_not_in is None or lowered not in self.keys_not_in
        )

    def _dict_key(self, call: ModuleCall, argument: Argument) -> tuple[Argument, str] | None:
        """The first string key of a dict literal that ``keys-in`` / ``keys-not-in`` choose, with the place
        of its value when the dict is the argument itself (``server_settings={...}``: its keys are known
        even where a value is computed), else the whole dict (one nested in ``connect_args={...}``)."""
        entries = call.dict_keywords.get(self.keyword) if call.keywords.get(self.keyword) is argument else None
        if entries is not None:
            chosen = [key for key in entries if self._chosen_key(key)]
            return (entries[chosen[0]], chosen[0]) if chosen else None
        try:
            literal = ast.literal_eval(argument.value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return None  # computed at run time: pinlint cannot tell
        if not isinstance(literal, dict):
            return None
        keys = [key for key in literal if isinstance(key, str) and self._chosen_key(key)]
        return (argument, keys[0]) if keys else None


def _lower_set(names: list[str] | None) -> frozenset[str] | None:
    return frozenset(name.lower() for name in names) if names is not None else None


# `{site}` and `{module}` of a call in the module itself (a loaded module's are the engine's)
HERE = {"site": "", "module": "a Lambda module"}


@dataclass(frozen=True)
class CallArgumentsMatch(ModuleCallKind):
    functions: frozenset[str]
    methods: frozenset[str]
    imports: frozenset[str]
    handler_module: bool
    loaded_modules: bool
    module_level: bool
    arguments: tuple[ArgumentCondition, ...]
    unless_arguments: tuple[ArgumentCondition, ...]
    require_arguments: tuple[ArgumentCondition, ...]
    receivers: frozenset[str]
    within: frozenset[str]
    unless_within: frozenset[str]
    unless_project: ProjectCondition | None
    unless_source_regex: re.Pattern[str] | None

    name = "call-arguments"
    summary = (
        "A call of one of `functions` (qualified through the module's imports), or of one of `methods`"
        " in a module importing one of `imports`, for which one of `arguments` holds (or any such"
        " call when there are none), none of `unless-arguments` holds and every one of"
        " `require-arguments` holds. `receivers` limits a method to objects pinlint sees being made"
        " by one of the listed calls (`conn = psycopg2.connect(...)`, `with ... as conn`, a parameter"
        " annotation, or an attribute chain such as `Order.objects`: a name starting with `.` matches"
        " the last part); `within` / `unless-within` ask for (or rule out) an enclosing `with` block"
        " or decorator. `unless-project` is checked after linting, against every Python file of the"
        " project around the file (from the directory holding `root-marker`)."
    )
    keys = (
        Key("functions", STRINGS, "Qualified functions, e.g. `psycopg.connect`."),
        Key("methods", STRINGS, "Method names, called on any object (see `imports`, `receivers`)."),
        Key("imports", STRINGS, "The methods count only in modules importing one of these packages."),
        Key("handler-module", BOOLEAN, "Only in modules that define a Lambda handler.", default="false"),
        Key(
            "loaded-modules",
            BOOLEAN,
            "With `handler-module`, also the calls made at import time in the project modules a handler's"
            " module imports (transitively), reported at that module's import; the message's `{site}` says"
            " where the call is and `{module}` which handler loads it (`a Lambda module` in the handler's own).",
            default="false",
        ),
        Key("module-level", BOOLEAN, "Only calls that run at import time, outside any function.", default="false"),
        Key("arguments", TABLES, "Conditions on arguments; the first that holds is the finding.", keys=ARGUMENT_KEYS),
        Key("unless-arguments", TABLES, "Conditions that, when one holds, rule the call out.", keys=ARGUMENT_KEYS),
        Key("require-arguments", TABLES, "Conditions that must all hold to judge the call.", keys=ARGUMENT_KEYS),
        Key("receivers", STRINGS, "Calls that make the object a method is called on."),
        Key("within", STRINGS, "Context managers or decorators, one of which must enclose the call."),
        Key("unless-within", STRINGS, "Context managers or decorators that must not enclose the call."),
        Key(
            "unless-project",
            TABLE,
            "A project-wide setting that makes every finding safe.",
            keys=(
                Key("key", STRING, "The setting's name (any letter case).", required=True),
                Key("value", STRING, "Its value, as a Python literal.", required=True),
                Key("root-marker", STRING, "A file that marks the project's root, e.g. `manage.py`."),
            ),
        ),
        Key("unless-source-regex", REGEX, "A module whose text matches this is left alone (a documented workaround)."),
    )

    @classmethod
    def build(cls, table: dict[str, Any]) -> CallArgumentsMatch:
        functions = frozenset(table.get("functions", []))
        methods = frozenset(table.get("methods", []))
        if not functions and not methods:
            raise ValueError("call-arguments needs `functions` or `methods`")
        project = table.get("unless-project")

        def conditions(key: str) -> tuple[ArgumentCondition, ...]:
            return tuple(ArgumentCondition.from_table(item) for item in table.get(key, []))

        return cls(
            functions=functions,
            methods=methods,
            imports=frozenset(table.get("imports", [])),
            handler_module=table.get("handler-module", False),
            loaded_modules=table.get("loaded-modules", False),
            module_level=table.get("module-level", False),
            arguments=conditions("arguments"),
            unless_arguments=conditions("unless-arguments"),
            require_arguments=conditions("require-arguments"),
            receivers=frozenset(table.get("receivers", [])),
            within=frozenset(table.get("within", [])),
            unless_within=frozenset(table.get("unless-within", [])),
            unless_project=(
                ProjectCondition(project["key"], project["value"], project.get("root-marker", "")) if project else None
            ),
            unless_source_regex=compile_regex(table.get("unless-source-regex")),
        )

    @property
    def interest(self) -> Interest:
        """The call names, by the libraries a file must name for them to count (a function's own
        package, which its qualified name needs imported; a method's ``imports``; the empty set for
        methods of any module), and what the module facts must record."""
        groups = gated_by_package(self.functions)
        if self.methods:
            groups[self.imports] = groups.get(self.imports, frozenset()) | self.methods
        traces = bool(self.receivers or self.within or self.unless_within)
        return Interest(
            gated_call_names=groups,
            module_functions=self.functions,
            module_methods=self.methods,
            traced_methods=dict.fromkeys(self.methods, self.imports) if traces else {},
            needs_handlers=self.handler_module,
            project_condition=self.unless_project,
        )

    def _known_receiver(self, origins: frozenset[str]) -> bool:
        """An origin counts when it is one of ``receivers``, or when a receiver ``.name`` is given
        and the origin is a call or attribute that ends in ``name`` (``.objects`` matches
        ``shop.models.Order.objects``)."""
        return any(origin in self.receivers or f".{origin.rpartition('.')[2]}" in self.receivers for origin in origins)

    def applies(self, module: ModuleFacts) -> bool:
        if self.handler_module and not module.defines_handler:
            return False
        return self.unless_source_regex is None or not self.unless_source_regex.search(module.source)

    def loaded_functions(self) -> frozenset[str]:
        return self.functions if self.handler_module and self.loaded_modules else frozenset()

    def check(self, call: ModuleCall, module: ModuleFacts) -> Iterator[CallHit]:
        if self.module_level and call.in_function:
            return
        if call.name in self.functions:
            shown = call.name
        elif (
            self.methods
            and (not self.imports or bool(self.imports & module.calls.imports))
            and call.method in self.methods
            and (not self.receivers or self._known_receiver(call.receiver_origins))
        ):
            shown = call.display
        else:
            return
        if (self.within and not self.within & call.within) or self.unless_within & call.within:
            return
        if any(condition.check(call) is None for condition in self.require_arguments):
            return
        if any(condition.check(call) is not None for condition in self.unless_arguments):
            return
        if not self.arguments:
            yield CallHit(call, None, {"function": shown, "keyword": "", "value": "", **HERE})
            return
        for condition in self.arguments:
            found = condition.check(call)
            if found is not None:
                argument, value = found
                captures = {"function": shown, "keyword": condition.keyword, "value": value, **HERE}
                yield CallHit(call, argument, captures)
                return
