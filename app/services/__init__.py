"""Application services: load, call the pure domain, save (one commit each)."""
