"""NLU helpers for the tax assistant: rule-based entity extraction (no Rasa imports)."""
