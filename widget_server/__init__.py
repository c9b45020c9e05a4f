"""Minis: self-hostable booking for photographers' mini sessions."""
