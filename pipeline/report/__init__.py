"""The report's building blocks: chapter model, numbering, views, charts, strings, formatting, claims."""
