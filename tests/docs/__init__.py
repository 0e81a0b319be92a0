"""The docs site and every command it shows."""
