"""Unit tests of the use cases."""
