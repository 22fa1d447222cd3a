"""inventory: tax rates, categories, products, variants, stock locations, levels and ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Accent-insensitive search (unaccent) over a trigram index (pg_trgm).
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_category_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['category.id'], name=op.f('fk_category_parent_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_category'))
    )
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_category_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_category_company_parent', ['company_id', 'parent_id', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_category_parent_id'), ['parent_id'], unique=False)

    op.create_table('stock_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_stock_location_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_location')),
    sa.UniqueConstraint('company_id', 'name', name=op.f('uq_stock_location_company_id_name'))
    )
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_location_company_id'), ['company_id'], unique=False)
        batch_op.create_index('uq_stock_location_one_default', ['company_id'], unique=True, postgresql_where=sa.text('is_default'))

    op.create_table('tax_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('rate >= 0 AND rate <= 100', name=op.f('ck_tax_rate_rate_percent')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_tax_rate_company_id_company'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rate')),
    sa.UniqueConstraint('company_id', 'name', name=op.f('uq_tax_rate_company_id_name'))
    )
    with op.batch_alter_table('tax_rate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tax_rate_company_id'), ['company_id'], unique=False)
        batch_op.create_index('uq_tax_rate_one_default', ['company_id'], unique=True, postgresql_where=sa.text('is_default'))

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('tax_rate_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'service' AND duration_minutes > 0) OR (kind = 'product' AND duration_minutes IS NULL)", name=op.f('ck_product_service_duration')),
    sa.CheckConstraint("kind IN ('product', 'service')", name=op.f('ck_product_kind')),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_product_category_id_category'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_product_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tax_rate_id'], ['tax_rate.id'], name=op.f('fk_product_tax_rate_id_tax_rate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_product_company_created', ['company_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_product_company_name', ['company_id', 'name', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_tax_rate_id'), ['tax_rate_id'], unique=False)

    op.create_table('variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('cost_price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('low_stock_threshold', sa.Numeric(precision=12, scale=3), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=12, scale=3), server_default='0', nullable=False),
    sa.Column('reserved', sa.Numeric(precision=12, scale=3), server_default='0', nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('cost_price >= 0', name=op.f('ck_variant_cost_not_negative')),
    sa.CheckConstraint('low_stock_threshold >= 0', name=op.f('ck_variant_threshold_not_negative')),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_variant_on_hand_not_negative')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_variant_price_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_variant_available_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_variant_reserved_not_negative')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_variant_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_variant_product_id_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_variant')),
    sa.UniqueConstraint('company_id', 'barcode', name=op.f('uq_variant_company_id_barcode')),
    sa.UniqueConstraint('company_id', 'sku', name=op.f('uq_variant_company_id_sku'))
    )
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_variant_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_variant_company_product', ['company_id', 'product_id', 'id'], unique=False)
        batch_op.create_index('ix_variant_search_trgm', ['search_text'], unique=False, postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})

    op.create_table('stock_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('on_hand', sa.Numeric(precision=12, scale=3), server_default='0', nullable=False),
    sa.Column('reserved', sa.Numeric(precision=12, scale=3), server_default='0', nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_stock_level_on_hand_not_negative')),
    sa.CheckConstraint('reserved <= on_hand', name=op.f('ck_stock_level_available_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_stock_level_reserved_not_negative')),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_stock_level_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_level_location_id_stock_location')),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_stock_level_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_level')),
    sa.UniqueConstraint('company_id', 'variant_id', 'location_id', name=op.f('uq_stock_level_company_id_variant_id_location_id'))
    )
    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_level_company_id'), ['company_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_level_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_level_variant_id'), ['variant_id'], unique=False)

    op.create_table('stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('on_hand_change', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('reserved_change', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('receipt', 'sale', 'return', 'adjustment', 'reservation', 'release')", name=op.f('ck_stock_movement_kind')),
    sa.CheckConstraint('on_hand_change <> 0 OR reserved_change <> 0', name=op.f('ck_stock_movement_changes_something')),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_stock_movement_actor_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['company.id'], name=op.f('fk_stock_movement_company_id_company'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['stock_location.id'], name=op.f('fk_stock_movement_location_id_stock_location')),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_stock_movement_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movement_company_id'), ['company_id'], unique=False)
        batch_op.create_index('ix_stock_movement_company_variant', ['company_id', 'variant_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_variant_id'), ['variant_id'], unique=False)



def downgrade():
    # The extensions stay: other modules (customers) search with them too.
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movement_variant_id'))
        batch_op.drop_index(batch_op.f('ix_stock_movement_location_id'))
        batch_op.drop_index('ix_stock_movement_company_variant')
        batch_op.drop_index(batch_op.f('ix_stock_movement_company_id'))

    op.drop_table('stock_movement')
    with op.batch_alter_table('stock_level', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_level_variant_id'))
        batch_op.drop_index(batch_op.f('ix_stock_level_location_id'))
        batch_op.drop_index(batch_op.f('ix_stock_level_company_id'))

    op.drop_table('stock_level')
    with op.batch_alter_table('variant', schema=None) as batch_op:
        batch_op.drop_index('ix_variant_search_trgm', postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        batch_op.drop_index('ix_variant_company_product')
        batch_op.drop_index(batch_op.f('ix_variant_company_id'))

    op.drop_table('variant')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_tax_rate_id'))
        batch_op.drop_index('ix_product_company_name')
        batch_op.drop_index(batch_op.f('ix_product_company_id'))
        batch_op.drop_index('ix_product_company_created')
        batch_op.drop_index(batch_op.f('ix_product_category_id'))

    op.drop_table('product')
    with op.batch_alter_table('tax_rate', schema=None) as batch_op:
        batch_op.drop_index('uq_tax_rate_one_default', postgresql_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_tax_rate_company_id'))

    op.drop_table('tax_rate')
    with op.batch_alter_table('stock_location', schema=None) as batch_op:
        batch_op.drop_index('uq_stock_location_one_default', postgresql_where=sa.text('is_default'))
        batch_op.drop_index(batch_op.f('ix_stock_location_company_id'))

    op.drop_table('stock_location')
    with op.batch_alter_table('category', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_category_parent_id'))
        batch_op.drop_index('ix_category_company_parent')
        batch_op.drop_index(batch_op.f('ix_category_company_id'))

    op.drop_table('category')
