"""Revocation at cache speed and device tokens for logins.

- users.tokens_valid_after: access tokens of the user issued before it are void (role change,
  deactivation). Nullable, no backfill: existing users have no such mark.
- Indexes on users.tokens_valid_after and auth_sessions.revoked_at: the Redis blocklist is rebuilt
  from the rows changed within one access-token lifetime, and must find them without a scan.
- device_tokens: the SHA-256 of each device token handed out at login (OWASP device cookies).

Revision ID: 3f8a2c61d9e4
Revises: 7c1e5a9f4d20
Create Date: 2026-11-25

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f8a2c61d9e4'
down_revision = '7c1e5a9f4d20'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('users', sa.Column('tokens_valid_after', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_users_tokens_valid_after'), 'users', ['tokens_valid_after'], unique=False)
    op.create_index(op.f('ix_auth_sessions_revoked_at'), 'auth_sessions', ['revoked_at'], unique=False)
    op.create_table('device_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_device_tokens_token_hash'))
    )
    op.create_index(op.f('ix_device_tokens_user_id'), 'device_tokens', ['user_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_device_tokens_user_id'), table_name='device_tokens')
    op.drop_table('device_tokens')
    op.drop_index(op.f('ix_auth_sessions_revoked_at'), table_name='auth_sessions')
    op.drop_index(op.f('ix_users_tokens_valid_after'), table_name='users')
    op.drop_column('users', 'tokens_valid_after')
