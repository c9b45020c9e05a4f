"""End-to-end tests: Playwright drives real Chromium against a live uvicorn on demo data."""
