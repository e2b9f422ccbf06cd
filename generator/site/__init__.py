"""The site: page contexts, charts, the static JSON API's files, and rendering."""
