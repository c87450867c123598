"""consent: filled in by its own issue; present so the app layout is fixed from the start."""
