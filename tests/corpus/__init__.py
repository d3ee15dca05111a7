"""The development corpus: specs, renderers and the build (see README.md)."""
