"""A small pattern language over SQL tokens, used by rule files to describe statements.

Elements, separated by spaces:

``SET``            a keyword (case-insensitive); ``TEMP|TEMPORARY`` is one of several
``"pg_temp"``      an identifier: bare in any letter case, or double-quoted exactly as written
``[IF NOT EXISTS]`` an optional sequence
``!LOCAL|ROLE``    the next token is none of these words (consumes nothing; end of statement passes)
``{param}``        captures a name: an identifier, possibly dotted (``app.tenant``), or a dynamic hole
``{param:A|B}``    captures one of these words
``...``            any tokens (as few as possible), skipping balanced parentheses
``^``              the finding's location starts at the next element
``(`` ``.`` ``=``  punctuation, matched literally (``TO|=`` mixes both)

Patterns are anchored at the statement's first token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pinlint.sql.lexer import IDENT, OP, WORD, Token

# Words that can never be a plain name (PostgreSQL's reserved keywords, the ones that matter here).
RESERVED = frozenset(
    [
        "ALL",
        "ANALYSE",
        "ANALYZE",
        "AND",
        "ANY",
        "ARRAY",
        "AS",
        "ASC",
        "ASYMMETRIC",
        "BOTH",
        "CASE",
        "CAST",
        "CHECK",
        "COLLATE",
        "COLUMN",
        "CONSTRAINT",
        "CREATE",
        "CURRENT_CATALOG",
        "CURRENT_DATE",
        "CURRENT_ROLE",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "CURRENT_USER",
        "DEFAULT",
        "DEFERRABLE",
        "DESC",
        "DISTINCT",
        "DO",
        "ELSE",
        "END",
        "EXCEPT",
        "FALSE",
        "FETCH",
        "FOR",
        "FOREIGN",
        "FROM",
        "GRANT",
        "GROUP",
        "HAVING",
        "IN",
        "INITIALLY",
        "INTERSECT",
        "INTO",
        "LATERAL",
        "LEADING",
        "LIMIT",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "NOT",
        "NULL",
        "OFFSET",
        "ON",
        "ONLY",
        "OR",
        "ORDER",
        "PLACING",
        "PRIMARY",
        "REFERENCES",
        "RETURNING",
        "SELECT",
        "SESSION_USER",
        "SOME",
        "SYMMETRIC",
        "TABLE",
        "THEN",
        "TO",
        "TRAILING",
        "TRUE",
        "UNION",
        "UNIQUE",
        "USER",
        "USING",
        "VALUES",
        "VARIADIC",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
    ]
)


class PatternError(ValueError):
    """A rule's pattern cannot be compiled."""


@dataclass(frozen=True)
class Element:
    kind: str  # word | ident | optional | not | capture | any | anchor
    words: frozenset[str] = frozenset()
    name: str = ""
    children: tuple[Element, ...] = ()


@dataclass
class Match:
    start: int  # index of the first token of the location
    end: int  # index past the last matched token
    captures: dict[str, tuple[int, int]] = field(default_factory=dict)


def _split_elements(source: str) -> list[str]:
    parts: list[str] = []
    current = ""
    depth = 0
    for char in source:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char.isspace() and depth == 0:
            if current:
                parts.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise PatternError(f"unbalanced brackets in pattern {source!r}")
    if current:
        parts.append(current)
    return parts


def _parse(source: str) -> tuple[Element, ...]:
    elements: list[Element] = []
    for part in _split_elements(source):
        if part.startswith("[") and part.endswith("]"):
            elements.append(Element("optional", children=_parse(part[1:-1])))
        elif part == "...":
            elements.append(Element("any"))
        elif part == "^":
            elements.append(Element("anchor"))
        elif part.startswith("^"):
            elements.append(Element("anchor"))
            elements.extend(_parse(part[1:]))
        elif len(part) > 2 and part.startswith('"') and part.endswith('"'):
            elements.append(Element("ident", words=frozenset([part[1:-1]])))
        elif part.startswith("!"):
            elements.append(Element("not", words=frozenset(part[1:].upper().split("|"))))
        elif part.startswith("{") and part.endswith("}"):
            name, _, words = part[1:-1].partition(":")
            choices = frozenset(words.upper().split("|")) if words else frozenset()
            elements.append(Element("capture", name=name, words=choices))
        else:
            elements.append(Element("word", words=frozenset(part.upper().split("|"))))
    return tuple(elements)


def compile_pattern(source: str) -> tuple[Element, ...]:
    elements = _parse(source)
    if not elements:
        raise PatternError("empty pattern")
    return elements


def _name_end(tokens: list[Token], index: int) -> int:
    """Index past a (possibly dotted) name starting at ``index``, or -1."""

    def is_name(token: Token) -> bool:
        return token.kind == IDENT or (token.kind == WORD and token.value not in RESERVED)

    if index >= len(tokens) or not is_name(tokens[index]):
        return -1
    index += 1
    while (
        index + 1 < len(tokens)
        and tokens[index].kind == OP
        and tokens[index].value == "."
        and is_name(tokens[index + 1])
    ):
        index += 2
    return index


def _skip_group(tokens: list[Token], index: int) -> int:
    """Index past one token, or past a balanced parenthesised group starting at ``index``."""
    if tokens[index].kind == OP and tokens[index].value in "([":
        depth = 0
        while index < len(tokens):
            value = tokens[index].value if tokens[index].kind == OP else ""
            if value in ("(", "["):
                depth += 1
            elif value in (")", "]"):
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        return index
    return index + 1


def _match(elements: tuple[Element, ...], position: int, tokens: list[Token], state: Match) -> int:
    """Match ``elements`` from token ``position``; return the end index or -1."""
    if not elements:
        return position
    element, rest = elements[0], elements[1:]
    token = tokens[position] if position < len(tokens) else None
    if element.kind == "word":
        if token is not None and token.kind in (WORD, OP) and token.value in element.words:
            return _match(rest, position + 1, tokens, state)
        return -1
    if element.kind == "ident":  # PostgreSQL folds a bare name to lower case; a quoted one is exact
        if token is not None and (
            (token.kind == WORD and token.value.lower() in element.words)
            or (token.kind == IDENT and token.value in element.words)
        ):
            return _match(rest, position + 1, tokens, state)
        return -1
    if element.kind == "not":
        if token is not None and token.kind == WORD and token.value in element.words:
            return -1
        return _match(rest, position, tokens, state)
    if element.kind == "anchor":
        state.start = position
        return _match(rest, position, tokens, state)
    if element.kind == "capture":
        if element.words:
            if token is None or token.kind != WORD or token.value not in element.words:
                return -1
            end = position + 1
        else:
            end = _name_end(tokens, position)
            if end == -1:
                return -1
        state.captures[element.name] = (position, end)
        return _match(rest, end, tokens, state)
    if element.kind == "optional":
        saved = (state.start, dict(state.captures))
        end = _match(element.children + rest, position, tokens, state)
        if end != -1:
            return end
        state.start, state.captures = saved[0], saved[1]
        return _match(rest, position, tokens, state)
    if element.kind == "any":
        index = position
        while index <= len(tokens):
            end = _match(rest, index, tokens, state)
            if end != -1:
                return end
            if index == len(tokens):
                break
            index = _skip_group(tokens, index)
        return -1
    raise PatternError(f"unknown element {element.kind}")


def match_at(pattern: tuple[Element, ...], tokens: list[Token], position: int = 0) -> Match | None:
    """Match a compiled pattern at ``position``; None when it does not match."""
    state = Match(start=position, end=position)
    end = _match(pattern, position, tokens, state)
    if end == -1:
        return None
    state.end = max(end, state.start + 1)
    return state


def search(pattern: tuple[Element, ...], tokens: list[Token]) -> Match | None:
    """Match a compiled pattern at any token position."""
    for position in range(len(tokens)):
        found = match_at(pattern, tokens, position)
        if found is not None:
            return found
    return None
