"""Custom Rasa actions: thin adapters over the knowledge package and the API service."""
