"""docs/configuration.md lists every environment variable every service reads, as the code has it."""

from __future__ import annotations

from shared import config_reference
from shared.asyncapi import SERVICES
from shared.testing import definition_of


def test_the_committed_reference_matches_the_settings_classes() -> None:
    committed = config_reference.DOC_PATH.read_text(encoding="utf-8")
    assert committed == config_reference.render(), \
        "docs/configuration.md drifted from the settings: run `jemput config-reference`"


def test_every_variable_of_every_service_is_in_the_reference() -> None:
    text = config_reference.render()
    for name in SERVICES:
        assert f"## {name}" in text
        for field_name, field in definition_of(name).settings_class.model_fields.items():
            assert f"`{field.alias or field_name.upper()}`" in text, (name, field_name)
