"""The web pages served by the API: the enterprise chat widget (`/`, plain files), the staff app
(`/staff/...`, a Vue 3 + Element Plus build of web/), the embed script (`/embed.js`) and their static
files (`/static/...`)."""
