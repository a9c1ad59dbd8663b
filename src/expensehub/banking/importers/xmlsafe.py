"""A hardened XML reader: defusedxml refuses the dangerous parts, we keep line numbers on every element.

``parse`` reads through ``defusedxml.ElementTree.DefusedXMLParser`` with ``forbid_dtd=True`` (and its
defaults ``forbid_entities`` and ``forbid_external``): any document type declaration, entity declaration
or external reference is refused by the library, so no entity can be declared, expanded or fetched (no
billion laughs, no XXE). expat itself refuses a reference to an undefined entity. Our tree builder, the
parser's target, adds what ElementTree elements lack: the line each element starts on, and a nesting
limit (``MAX_DEPTH``). Elements keep their local name (namespaces dropped), attributes and text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

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


class _Builder:
    """The parser's target: builds ``Node`` values, each with the line it starts on."""

    def __init__(self) -> None:
        self.parser: DefusedXMLParser | None = None
        self.stack: list[Node] = []
        self.texts: list[list[str]] = []
        self.root: Node | None = None

    def line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser is not None else 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise MalformedFeed(f"line {self.line()}", f"elements nested deeper than {MAX_DEPTH}")
        node = Node(_local(tag), {_local(k): v for k, v in attrs.items()}, self.line())
        if self.stack:
            self.stack[-1].children.append(node)
        elif self.root is None:
            self.root = node
        self.stack.append(node)
        self.texts.append([])

    def end(self, _tag: str) -> None:
        node = self.stack.pop()
        node.text = "".join(self.texts.pop()).strip()

    def data(self, text: str) -> None:
        if self.texts:
            self.texts[-1].append(text)

    def close(self) -> None:
        return None


def parse(data: bytes) -> Node:
    """The document's root element; ``MalformedFeed`` with the line for anything unsafe or broken."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    builder.parser = parser
    try:
        parser.feed(data)
        parser.close()
    except DTDForbidden:
        raise MalformedFeed(
            f"line {builder.line()}",
            "document type declarations (<!DOCTYPE>) are not allowed: entities are never expanded",
        ) from None
    except EntitiesForbidden:  # pragma: no cover - a DTD, the only place to declare one, is refused first
        raise MalformedFeed(f"line {builder.line()}", "entity declarations are not allowed") from None
    except ExternalReferenceForbidden:  # pragma: no cover - likewise
        raise MalformedFeed(f"line {builder.line()}", "external entities are not allowed") from None
    except ParseError as exc:
        line, column = exc.position
        raise MalformedFeed(
            f"line {line}, column {column + 1}", f"not well-formed XML ({expat.ErrorString(exc.code)})"
        ) from None
    except RecursionError:
        raise MalformedFeed("", "the XML document is nested too deeply") from None
    if builder.root is None:
        raise MalformedFeed("line 1", "no root element")
    return builder.root
