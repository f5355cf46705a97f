"""The store contract: one suite, run identically against every `Store` implementation."""
