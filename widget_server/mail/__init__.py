"""Messages to clients and photographers: calendar files now, email later."""
