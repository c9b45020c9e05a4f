"""Shared test helpers: databases, a controllable clock, seed data, live servers."""
