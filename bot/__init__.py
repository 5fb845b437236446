"""The Rasa assistant: domain, endpoints, credentials and custom NLU components."""
