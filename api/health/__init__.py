"""Health of the service and of what it depends on."""
