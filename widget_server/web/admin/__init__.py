"""The photographer's dashboard under /admin: HTTP only, over booking/ and payments/."""
