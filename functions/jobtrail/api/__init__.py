"""The management API: Powertools routers, request and response schemas, error mapping."""
