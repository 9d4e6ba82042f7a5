"""Sales totals for the admin analytics (per day, and per product for all time), back-filled from the existing
sales.

- sales_by_day: per UTC day of created_at and status, the number of sales and the sum of their totals.
- product_sales_by_day: per UTC day, status and product, the units and line totals of the sales' lines
  (with the line's name snapshot).
- product_sales_totals: per product, the units and line totals of every sale not cancelled, for the analytics
  with no filter.

The admin analytics read these instead of aggregating every sale and line on each cache miss; the sale repo
keeps them in the same transaction as every checkout and status change. The back-fill groups the sales as
app.repos.sale_repo.SaleRepo.rebuild_totals does (its day is the repo's _utc_day; the product name is the
greatest of the lines' names), written out here because a migration never imports the app.

Revision ID: 9af1c6ac3380
Revises: 3f8a2c61d9e4
Create Date: 2026-12-02

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9af1c6ac3380'
down_revision = '3f8a2c61d9e4'
branch_labels = None
depends_on = None

STATUSES = "status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled')"


def upgrade():
    op.create_table('product_sales_by_day',
    sa.Column('sold_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint(STATUSES, name=op.f('ck_product_sales_by_day_status')),
    sa.PrimaryKeyConstraint('sold_on', 'status', 'product_id', name=op.f('pk_product_sales_by_day'))
    )
    op.create_table('sales_by_day',
    sa.Column('sold_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sales_count', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint(STATUSES, name=op.f('ck_sales_by_day_status')),
    sa.PrimaryKeyConstraint('sold_on', 'status', name=op.f('pk_sales_by_day'))
    )
    op.create_table('product_sales_totals',
    sa.Column('product_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('revenue', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_product_sales_totals'))
    )
    if op.get_bind().dialect.name == "postgresql":
        day = "CAST(timezone('UTC', sales.created_at) AS DATE)"
    else:
        day = "date(sales.created_at)"  # SQLite stores UTC text; date() takes its day
    op.execute(
        "INSERT INTO sales_by_day (sold_on, status, sales_count, revenue) "
        f"SELECT {day}, sales.status, count(*), sum(sales.total) FROM sales GROUP BY {day}, sales.status"
    )
    op.execute(
        "INSERT INTO product_sales_by_day (sold_on, status, product_id, name, quantity, revenue) "
        f"SELECT {day}, sales.status, sale_products.product_id, max(sale_products.name), "
        "sum(sale_products.quantity), sum(sale_products.line_total) "
        "FROM sale_products JOIN sales ON sales.id = sale_products.sale_id "
        f"GROUP BY {day}, sales.status, sale_products.product_id"
    )
    op.execute(
        "INSERT INTO product_sales_totals (product_id, name, quantity, revenue) "
        "SELECT sale_products.product_id, max(sale_products.name), "
        "sum(sale_products.quantity), sum(sale_products.line_total) "
        "FROM sale_products JOIN sales ON sales.id = sale_products.sale_id "
        "WHERE sales.status <> 'cancelled' GROUP BY sale_products.product_id"
    )


def downgrade():
    op.drop_table('product_sales_totals')
    op.drop_table('sales_by_day')
    op.drop_table('product_sales_by_day')
