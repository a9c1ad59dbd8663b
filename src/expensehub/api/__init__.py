"""The HTTP API: app factory, versioning, envelope and pagination, error mapping, routers."""
