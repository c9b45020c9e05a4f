"""HTTP only: parse the request, call the domain, render. No business rules here."""
