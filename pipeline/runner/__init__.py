"""Running the build: make targets, freshness (which stages are stale) and parallel workers."""
