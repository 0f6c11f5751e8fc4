"""From a loaded programme to files: loading and checking, assembling, rendering, the link check, sitemap, the writer, build state, worker processes."""
