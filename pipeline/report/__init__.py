"""The report's building blocks: the chapter model, numbering, views, charts, strings,
formatting and claims."""
