"""The FastAPI service: conversation hub, petitions, seats, reminders and analytics (one package each)."""
