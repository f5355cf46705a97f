"""The web UI: server-rendered pages (see architecture.md); for now, signing in and out."""
