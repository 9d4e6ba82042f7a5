"""Catalog search: planner statistics of the expression search ranks names by.

A search's page walks the primary key while matches are common and takes the search index when they are rare
(app/repos/product_repo.py, ProductRepo._ranked_page). PostgreSQL tells the two apart only with statistics of
`' ' || lower(name)`, the expression the name-match condition LIKEs over; an index would keep them too, at a
cost on every product write, so these are statistics alone. PostgreSQL only, like the search index.

Revision ID: 5d2b8e61a7c3
Revises: 9af1c6ac3380
Create Date: 2026-12-02

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d2b8e61a7c3'
down_revision = '9af1c6ac3380'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE STATISTICS products_name_words ON ((' ' || lower(name))) FROM products")
    op.execute("ANALYZE products")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP STATISTICS products_name_words")
