"""The development corpus: specs, renderers and the build (see docs/tables.md)."""
