"""Catalog search: a GIN index over the tsvector of product name and description.

PostgreSQL only (the embedded SQLite default searches with LIKE, without an index), so the DDL
is skipped on other dialects. The expression must stay identical to app.models.product.search_vector.

Revision ID: 7c1e5a9f4d20
Revises: b35d7070b02d
Create Date: 2026-11-24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c1e5a9f4d20'
down_revision = 'b35d7070b02d'
branch_labels = None
depends_on = None

SEARCH_VECTOR = "to_tsvector('simple'::regconfig, (name::text || ' '::text) || description)"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"CREATE INDEX ix_products_search ON products USING gin ({SEARCH_VECTOR})")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_products_search")
