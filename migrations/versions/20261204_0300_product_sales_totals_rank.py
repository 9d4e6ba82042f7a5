"""Admin analytics: an index on product_sales_totals (quantity, revenue), the top products' order.

With it the top ten of all time are the index's last entries, instead of a sort of every product sold.

Revision ID: 7c4e2a9d1b58
Revises: 5d2b8e61a7c3
Create Date: 2026-12-04

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '7c4e2a9d1b58'
down_revision = '5d2b8e61a7c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_product_sales_totals_quantity_revenue", "product_sales_totals", ["quantity", "revenue"], unique=False
    )


def downgrade():
    op.drop_index("ix_product_sales_totals_quantity_revenue", table_name="product_sales_totals")
