"""The configuration reference (``docs/configuration.md``), generated from the settings classes.

Every environment variable a service reads is a field of its pydantic settings class, so the
reference is written from those classes: ``jemput config-reference`` rewrites the page and
``--check`` (and a contract test) fails when a setting was added or changed without it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from shared.asyncapi import SERVICES
from shared.settings import ServiceSettings
from shared.testing import definition_of

DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

HEADER = """\
# Configuration reference

Generated from the services' settings classes by `jemput config-reference`; a test fails when it
drifts from the code. Every service reads its settings from environment variables, the same
names in compose (`.env.example`, `docker-compose.yml`), in `jemput demo` and in the tests.
A value that is not valid stops the service at start-up with the variable's name and the reason.
"""


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined:
        return "*required*" if field.default_factory is None else "*computed*"
    if field.default is None:
        return "—"
    value = field.default
    if isinstance(value, bool):
        value = str(value).lower()
    text = str(value)
    return f"`{text}`" if text else "`\"\"`"


def _rows(fields: dict[str, FieldInfo]) -> list[str]:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in fields.items():
        meaning = (field.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{field.alias or name.upper()}` | {_default(field)} | {meaning} |")
    return rows


def render() -> str:
    lines = [HEADER, "## Every service", "",
             "Connections, identity and the bus and outbox knobs, read by every service.", ""]
    lines += _rows(ServiceSettings.model_fields)
    shared = set(ServiceSettings.model_fields)
    for name in SERVICES:
        cls = definition_of(name).settings_class
        own = {k: f for k, f in cls.model_fields.items() if k not in shared}
        lines += ["", f"## {name}", ""]
        lines += _rows(own) if own else ["No settings of its own."]
    return "\n".join(lines) + "\n"


def write() -> Path:
    DOC_PATH.write_text(render(), encoding="utf-8")
    return DOC_PATH


def drift() -> bool:
    return not DOC_PATH.exists() or DOC_PATH.read_text(encoding="utf-8") != render()
