"""Generate src/expensehub/client/generated.py from the API's OpenAPI document (the current version).

The client imports nothing from the server; what it knows of the API (each resource, its operations, the
wire shape of its objects) is written into one generated module, from the same document the server serves.
tests/client/test_generated.py fails when the module is not what this script would write now, so a change
of the API that is not regenerated into the client is caught.

    .venv/bin/python scripts/gen_client.py            # rewrite the module
    .venv/bin/python scripts/gen_client.py --check    # exit 1 when it is out of date
"""

from __future__ import annotations

import keyword
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "src" / "expensehub" / "client" / "generated.py"
PREFIX = "/api/{version}/resources/"


def document() -> dict[str, Any]:
    import os
    import tempfile

    os.environ.setdefault("EXPENSEHUB_LOG_LEVEL", "WARNING")
    from fastapi.testclient import TestClient

    from expensehub.api.app import create_app
    from expensehub.config import Settings
    from expensehub.versions import CURRENT

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(database_url=f"sqlite:///{tmp}/x.db", storage_dir=tmp))
        doc: dict[str, Any] = TestClient(app).get(f"/api/{CURRENT}/openapi.json").json()
    return doc


def _name(ref: str) -> str:
    raw = ref.rsplit("/", 1)[-1]
    parts = raw.split("__")
    name = parts[-1] if len(parts) == 1 else parts[-3].capitalize() + parts[-1]
    return name[:-3] if name.endswith("Out") and len(name) > 3 else name


# Named like ids but holding the caller's or a third party's text: typed as strings.
TEXT_KEYS = {"external_id", "external_authorization_id", "dispute_id", "leave_id", "webhook_id", "request_id"}


def _is_id(key: str) -> bool:
    return key not in TEXT_KEYS and (key in ("id", "ids") or key.endswith(("_id", "_ids")))


def _type(schema: dict[str, Any], key: str, refs: set[str]) -> str:
    if "$ref" in schema:
        refs.add(schema["$ref"])
        return _name(schema["$ref"])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            options = [_type(s, key, refs) for s in schema[combinator]]
            unique = list(dict.fromkeys(options))
            return " | ".join(o for o in unique if o != "None") + (" | None" if "None" in unique else "")
    kind = schema.get("type")
    if kind == "null":
        return "None"
    if kind == "array":
        return f"list[{_type(schema.get('items', {}), key, refs)}]"
    if kind == "string":
        return "Id" if _is_id(key) and not schema.get("x-text-id") else "str"
    if kind == "integer":
        return "Id" if _is_id(key) else "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if "enum" in schema:
        return "str"
    return "Any"


def _item_ref(doc: dict[str, Any], op: dict[str, Any]) -> str | None:
    """The component of the objects an operation answers (a list's items, or the object itself)."""
    for status, response in op.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            target = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
            data = target.get("properties", {}).get("data")
            if data and data.get("type") == "array" and "$ref" in data.get("items", {}):
                return str(data["items"]["$ref"])
            return str(schema["$ref"])
        if schema.get("type") == "array" and "$ref" in schema.get("items", {}):
            return str(schema["items"]["$ref"])
    return None


def generate(doc: dict[str, Any]) -> str:
    resources: dict[str, dict[str, Any]] = {}
    refs: set[str] = set()
    for path, ops in sorted(doc["paths"].items()):
        if not path.startswith(PREFIX):
            continue
        parts = path[len(PREFIX) :].split("/")
        key = "/".join(parts[:2])
        rest = parts[2:]
        entry = resources.setdefault(key, {"ops": set(), "actions": set(), "model": None})
        for method, op in ops.items():
            ref = _item_ref(doc, op)
            if not rest and method == "get":
                entry["ops"].add("list")
                entry["model"] = entry["model"] or ref
            elif rest == ["{id}"]:
                entry["ops"].add(
                    {"get": "get", "put": "update", "delete": "delete", "patch": "update"}[method]
                )
                if method == "get":
                    entry["model"] = ref or entry["model"]
            elif not rest and method == "post":
                entry["ops"].add("create")
                entry["model"] = entry["model"] or ref
            elif len(rest) == 1 and method == "post":
                entry["actions"].add(rest[0])
            else:
                entry["ops"].add(f"{method} {'/'.join(rest)}")
    models: dict[str, str] = {}
    pending = {r["model"] for r in resources.values() if r["model"]}
    done: set[str] = set()
    while pending:
        ref = pending.pop()
        if ref in done:
            continue
        done.add(ref)
        schema = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        found: set[str] = set()
        required = set(schema.get("required", []))
        lines = [f"class {_name(ref)}(TypedDict):"]
        description = (schema.get("description") or "").strip().splitlines()
        if description:
            lines.append(f'    """{description[0]}"""')
            lines.append("")
        for field_name, field_schema in schema.get("properties", {}).items():
            if not field_name.isidentifier() or keyword.iskeyword(field_name):
                continue
            annotation = _type(field_schema, field_name, found)
            lines.append(
                f"    {field_name}: {annotation if field_name in required else f'NotRequired[{annotation}]'}"
            )
        if len(lines) == 1:
            lines.append("    pass")
        models[_name(ref)] = "\n".join(lines)
        pending |= found - done
        refs |= found
    out = [
        '"""What the client knows of the API: its resources and the wire shapes of their objects.',
        "",
        "Generated by scripts/gen_client.py from the API's OpenAPI document; do not edit by hand.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import TYPE_CHECKING, Any, NotRequired",
        "",
        "from typing_extensions import TypedDict",
        "",
        "if TYPE_CHECKING:",
        "    from expensehub.client.api import AsyncResource, Resource",
        "",
        "Id = str | int",
        '"""An id: a JSON string from 2026-07-01 on, an integer before."""',
        "",
    ]
    for name in sorted(models):
        out += ["", models[name], ""]
    out += [
        "",
        "# resource key -> (operations, actions, the name of the model of its objects)",
        "RESOURCES: dict[str, tuple[frozenset[str], frozenset[str], str | None]] = {",
    ]
    for key, entry in sorted(resources.items()):
        ops = ", ".join(repr(o) for o in sorted(entry["ops"]))
        actions = ", ".join(repr(a) for a in sorted(entry["actions"]))
        model = repr(_name(entry["model"])) if entry["model"] else "None"
        out.append(f"    {key!r}: (frozenset({{{ops}}}), frozenset({{{actions}}}), {model}),")
    out.append("}")
    out.append("")
    namespaces: dict[str, list[tuple[str, str]]] = {}
    for key, entry in sorted(resources.items()):
        ns, res = key.split("/", 1)
        model = _name(entry["model"]) if entry["model"] else "dict[str, Any]"
        namespaces.setdefault(ns, []).append((res, model))
    for flavour, resource in (("", "Resource"), ("Async", "AsyncResource")):
        for ns, members in namespaces.items():
            camel = "".join(part.capitalize() for part in ns.split("_"))
            out += ["", "", f"class {flavour}{camel}Resources:", f'    """``client.{ns}``."""', ""]
            out += [f"    {res}: {resource}[{model}]" for res, model in members]
        out += ["", "", f"class {flavour}Namespaces:", '    """The namespaces of a client, typed."""', ""]
        for ns in namespaces:
            camel = "".join(part.capitalize() for part in ns.split("_"))
            out.append(f"    {ns}: {flavour}{camel}Resources")
    text = "\n".join(out) + "\n"
    return re.sub(r"frozenset\(\{\}\)", "frozenset()", text)


def main() -> int:
    import subprocess

    text = generate(document())
    formatted = subprocess.run(  # noqa: S603 (our own interpreter and ruff)
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(TARGET), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "--check" in sys.argv:
        if TARGET.read_text(encoding="utf-8") != formatted:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run scripts/gen_client.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(formatted, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
