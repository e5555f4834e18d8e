"""Protection of personal data and credentials."""
