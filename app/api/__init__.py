"""REST endpoints: one Blueprint per resource under /api."""
