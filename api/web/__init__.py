"""The web pages served by the API: the enterprise chat widget (`/`), the staff console (`/console`),
the embed script (`/embed.js`) and their static files (`/static/...`). Plain files, no build step."""
