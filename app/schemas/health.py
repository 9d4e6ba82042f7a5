"""Health check DTOs."""

from __future__ import annotations

from marshmallow import Schema, fields


class HealthOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    database = fields.String(required=True, metadata={"enum": ["ok", "error"]})
    cache = fields.String(required=True, metadata={"enum": ["ok", "error", "disabled"]})


class LiveOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok"]})
