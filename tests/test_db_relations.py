"""db-relations.md is the models' own description: regenerate it (make db-diagram) whenever they change."""

from __future__ import annotations

from scripts.db_relations import MARKDOWN, load_metadata, render_markdown


def test_db_relations_md_matches_the_models() -> None:
    metadata, docs = load_metadata()
    assert MARKDOWN.read_text() == render_markdown(metadata, docs), "db-relations.md is stale: run make db-diagram"


def test_db_relations_md_names_every_table_column_and_foreign_key() -> None:
    metadata, _ = load_metadata()
    text = MARKDOWN.read_text()
    for table in metadata.tables.values():
        assert f"### {table.name}\n" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
        for key in table.foreign_keys:
            assert f"`{table.name}.{key.parent.name}` → `{key.column.table.name}.{key.column.name}`" in text
