"""The pipeline's stages: ingest, validate, clean, derive, analyze, plot, render."""
