"""A small, hardened XML reader on top of expat: no DTD, no entities, line numbers on every element.

``parse`` refuses any document type declaration (so no entity can be declared: no billion laughs, no
external entity fetch), any reference to an undefined entity, and nesting deeper than ``MAX_DEPTH``.
Elements keep their local name (namespaces dropped), attributes, text and the line they start on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from expensehub.banking.importers import MalformedFeed

MAX_DEPTH = 64


@dataclass
class Node:
    """An element: local name, attributes, text (stripped), children, and its starting line."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def child(self, name: str) -> Node | None:
        for c in self.children:
            if c.tag == name:
                return c
        return None

    def all(self, name: str) -> list[Node]:
        return [c for c in self.children if c.tag == name]

    def find(self, path: str) -> Node | None:
        """The first element along ``A/B/C`` (local names)."""
        node: Node | None = self
        for part in path.split("/"):
            if node is None:
                return None
            node = node.child(part)
        return node

    def text_at(self, path: str) -> str | None:
        found = self.find(path)
        return found.text if found is not None and found.text else None

    def descendants(self, name: str) -> Iterator[Node]:
        for c in self.children:
            if c.tag == name:
                yield c
            yield from c.descendants(name)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse(data: bytes) -> Node:
    """The document's root element; ``MalformedFeed`` with the line for anything unsafe or broken."""
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Node] = []
    texts: list[list[str]] = []
    root: list[Node] = []

    def refuse_dtd(*_args: Any) -> None:
        raise MalformedFeed(
            f"line {parser.CurrentLineNumber}",
            "document type declarations (<!DOCTYPE>) are not allowed: entities are never expanded",
        )

    def refuse_entity(*_args: Any) -> None:
        raise MalformedFeed(f"line {parser.CurrentLineNumber}", "entity declarations are not allowed")

    def refuse_external(*_args: Any) -> int:
        raise MalformedFeed(f"line {parser.CurrentLineNumber}", "external entities are not allowed")

    def start(name: str, attrs: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise MalformedFeed(
                f"line {parser.CurrentLineNumber}", f"elements nested deeper than {MAX_DEPTH}"
            )
        node = Node(_local(name), {_local(k): v for k, v in attrs.items()}, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)
        texts.append([])

    def end(_name: str) -> None:
        node = stack.pop()
        node.text = "".join(texts.pop()).strip()

    def chars(data: str) -> None:
        if texts:
            texts[-1].append(data)

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise MalformedFeed(
            f"line {exc.lineno}, column {exc.offset + 1}",
            f"not well-formed XML ({expat.ErrorString(exc.code)})",
        ) from None
    except RecursionError:
        raise MalformedFeed("", "the XML document is nested too deeply") from None
    if not root:
        raise MalformedFeed("line 1", "no root element")
    return root[0]
