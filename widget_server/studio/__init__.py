"""The photographer's side: accounts and logins, settings, locations, mini sessions and
days, the dashboard's reads, export and feed. Plain async functions over the database."""
