"""One vocabulary for every page: the Chinese names of statuses, kinds, roles, intents and fields, served by
``GET /api/vocabulary`` (docs/vocabulary.md). ``catalog`` gathers the maps from the modules that own them;
``router`` serves them."""
