"""The landing folder: what counts as a dump in it, and which dumps are new."""
