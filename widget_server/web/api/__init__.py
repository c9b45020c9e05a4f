"""The JSON API under /api/v1/: public reads with CORS, keyed reads and writes, its OpenAPI
document and reference docs. Handlers are thin: models.py says what goes in and out (and
so what the document says), operations.py runs every request the same way."""
