"""Write db-relations.md (Mermaid erDiagram, relations, tables) and db-relations.png from the SQLAlchemy models.

Both come from the same metadata, so they describe exactly the tables the migrations create.
`make db-diagram` runs this; tests/test_db_relations.py fails when db-relations.md no longer matches the models.

Usage: python scripts/db_relations.py [--markdown-only]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from html import escape
from pathlib import Path

from sqlalchemy import CheckConstraint, Column, ForeignKeyConstraint, MetaData, Table, UniqueConstraint
from sqlalchemy.dialects import postgresql

ROOT = Path(__file__).resolve().parent.parent
MARKDOWN = ROOT / "db-relations.md"
PICTURE = ROOT / "db-relations.png"


def load_metadata() -> tuple[MetaData, dict[str, str]]:
    """The models' metadata and each table's model docstring."""
    sys.path.insert(0, str(ROOT))
    from app.models import Base

    docs = {}
    for mapper in Base.registry.mappers:
        doc = mapper.class_.__dict__.get("__doc__")
        if doc and isinstance(mapper.local_table, Table):
            docs[mapper.local_table.name] = " ".join(doc.split())
    return Base.metadata, docs


def sql_type(column: Column[object]) -> str:
    return str(column.type.compile(dialect=postgresql.dialect()))


def _mermaid_type(column: Column[object]) -> str:
    word = sql_type(column).split("(")[0].split()[0].lower()
    return {"timestamp": "timestamptz", "character": "char"}.get(word, word)


def _is_unique(column: Column[object]) -> bool:
    table = column.table
    if column.unique or (len(table.primary_key.columns) == 1 and column.primary_key):
        return True
    return any(
        isinstance(c, UniqueConstraint) and [col.name for col in c.columns] == [column.name] for c in table.constraints
    )


def _keys(column: Column[object]) -> list[str]:
    keys = []
    if column.primary_key:
        keys.append("PK")
    if column.foreign_keys:
        keys.append("FK")
    if _is_unique(column) and not column.primary_key:
        keys.append("UK")
    return keys


def _default(column: Column[object]) -> str:
    default = column.default
    if default is None:
        return ""
    arg = getattr(default, "arg", None)
    if callable(arg):
        return f"{getattr(arg, '__name__', 'a function')}()"
    return repr(str(arg)) if isinstance(arg, str) else repr(arg)  # an enum member reads as its value


def _foreign_keys(metadata: MetaData) -> list[tuple[Table, ForeignKeyConstraint]]:
    found = []
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        for constraint in sorted(
            (c for c in table.constraints if isinstance(c, ForeignKeyConstraint)), key=lambda c: c.column_keys
        ):
            found.append((table, constraint))
    return found


def _relation(table: Table, constraint: ForeignKeyConstraint) -> tuple[str, str, str, bool, bool]:
    """(parent, child column, parent column, one-to-one, optional) for a single-column foreign key."""
    (element,) = constraint.elements
    column = element.parent
    one_to_one = _is_unique(column) and not (column.primary_key and len(table.primary_key.columns) > 1)
    return element.column.table.name, column.name, element.column.name, one_to_one, bool(column.nullable)


_ON_DELETE = {
    "CASCADE": "deleting the {parent} row deletes its {child} rows",
    "SET NULL": "deleting the {parent} row sets {child}.{column} to NULL (the row stays)",
    "RESTRICT": "a {parent} row cannot be deleted while {child} rows refer to it",
}


def relation_text(table: Table, constraint: ForeignKeyConstraint) -> str:
    parent, column, parent_column, one_to_one, optional = _relation(table, constraint)
    child = table.name
    owner = f"belongs to at most one `{parent}` row" if optional else f"belongs to exactly one `{parent}` row"
    has = f"at most one `{child}` row" if one_to_one else f"any number of `{child}` rows"
    ondelete = (constraint.ondelete or "NO ACTION").upper()
    rule = (
        _ON_DELETE.get(ondelete, "a {parent} row cannot be deleted while {child} rows refer to it")
        .format(parent=f"`{parent}`", child=f"`{child}`", column=column)
        .replace(f"`{child}`.{column}", f"`{child}.{column}`")
    )
    kind = "one-to-one" if one_to_one else "many-to-one"
    return (
        f"- **`{child}.{column}` → `{parent}.{parent_column}`** ({kind}, ON DELETE {ondelete}): "
        f"each `{child}` row {owner}{' (the column may be NULL)' if optional else ''}; "
        f"a `{parent}` row has {has}. {rule[0].upper()}{rule[1:]}."
    )


def mermaid(metadata: MetaData) -> list[str]:
    lines = ["```mermaid", "erDiagram"]
    for table, constraint in _foreign_keys(metadata):
        parent, column, _, one_to_one, optional = _relation(table, constraint)
        left = "|o" if optional else "||"
        right = "o|" if one_to_one else "o{"
        lines.append(f'    {parent} {left}--{right} {table.name} : "{column}"')
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        lines.append(f"    {table.name} {{")
        for column in table.columns:
            keys = ", ".join(_keys(column))
            note = sql_type(column) + ("" if column.nullable else ", not null")
            lines.append(f'        {_mermaid_type(column)} {column.name}{" " + keys if keys else ""} "{note}"')
        lines.append("    }")
    lines.append("```")
    return lines


def _constraints(table: Table) -> list[str]:
    items = []
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(constraint, CheckConstraint):
            items.append(f"- check `{constraint.name}`: `{constraint.sqltext}`")
        elif isinstance(constraint, UniqueConstraint) and len(constraint.columns) > 1:
            items.append(f"- unique `{constraint.name}`: ({', '.join(c.name for c in constraint.columns)})")
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        expressions = ", ".join(str(e) if not isinstance(e, Column) else e.name for e in index.expressions)
        where = index.dialect_options["postgresql"].get("where")
        kind = "unique index" if index.unique else "index"
        suffix = f" where `{where}`" if where is not None else ""
        using = index.dialect_options["postgresql"].get("using")
        items.append(f"- {kind} `{index.name}`: ({expressions}){f' using {using}' if using else ''}{suffix}")
    return items


def render_markdown(metadata: MetaData, docs: dict[str, str]) -> str:
    lines = [
        "# Database relations",
        "",
        "Generated from the SQLAlchemy models (`app/models/`) by `make db-diagram` (`scripts/db_relations.py`);",
        "do not edit it by hand. The migrations create exactly these tables (`tests/test_migrations.py`), and",
        "`tests/test_db_relations.py` fails when this file no longer matches the models.",
        "[db-relations.png](db-relations.png) draws the same diagram with Graphviz.",
        "",
        "## Diagram",
        "",
        *mermaid(metadata),
        "",
        "## Relations",
        "",
        *(relation_text(table, constraint) for table, constraint in _foreign_keys(metadata)),
        "",
        "## Tables",
    ]
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        lines += ["", f"### {table.name}", ""]
        if table.name in docs:
            lines += [docs[table.name], ""]
        lines += ["| column | type | null | key | default | references |", "|---|---|---|---|---|---|"]
        for column in table.columns:
            references = ", ".join(f"`{fk.target_fullname}`" for fk in column.foreign_keys)
            lines.append(
                f"| `{column.name}` | {sql_type(column)} | {'yes' if column.nullable else 'no'} | "
                f"{', '.join(_keys(column))} | {_default(column)} | {references} |"
            )
        constraints = _constraints(table)
        if constraints:
            lines += ["", *constraints]
    return "\n".join(lines) + "\n"


def render_dot(metadata: MetaData) -> str:
    lines = [
        "digraph database {",
        '    graph [rankdir=LR, fontname="Helvetica", nodesep=0.4, ranksep=1.0];',
        '    node [shape=plain, fontname="Helvetica", fontsize=10];',
        '    edge [fontname="Helvetica", fontsize=9, color="#555555", arrowhead=crow, arrowtail=tee, dir=both];',
    ]
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        rows = [f'<tr><td colspan="3" bgcolor="#dde6f0"><b>{escape(table.name)}</b></td></tr>']
        for column in table.columns:
            keys = ", ".join(_keys(column))
            rows.append(
                f'<tr><td align="left" port="{escape(column.name)}_in">{escape(column.name)}</td>'
                f'<td align="left">{escape(sql_type(column).lower())}</td>'
                f'<td align="left" port="{escape(column.name)}_out">{escape(keys)}</td></tr>'
            )
        table_html = '<table border="0" cellborder="1" cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>"
        lines.append(f"    {table.name} [label=<{table_html}>];")
    for table, constraint in _foreign_keys(metadata):
        parent, column, parent_column, one_to_one, _ = _relation(table, constraint)
        head = "tee" if one_to_one else "crow"
        lines.append(
            f'    {parent}:{parent_column}_out:e -> {table.name}:{column}_in:w [arrowhead={head}, label="{column}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    metadata, docs = load_metadata()
    MARKDOWN.write_text(render_markdown(metadata, docs))
    print(f"wrote {MARKDOWN.name}")
    if "--markdown-only" in argv:
        return 0
    dot = shutil.which("dot")
    if dot is None:
        print("Graphviz's dot is not installed: db-relations.png was not redrawn (scripts/ensure_graphviz.sh)")
        return 1
    with tempfile.NamedTemporaryFile("w", suffix=".dot") as source:
        source.write(render_dot(metadata))
        source.flush()
        subprocess.run([dot, "-Tpng", "-Gdpi=110", "-o", str(PICTURE), source.name], check=True)
    print(f"wrote {PICTURE.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
