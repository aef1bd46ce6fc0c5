"""Administration (/admin): the page and its forms (page), centres and their units (centres,
units), users and API tokens (people), the aftercare services directory (directory) and the
gaps in the registry (gaps). web/routes.py names each endpoint."""
