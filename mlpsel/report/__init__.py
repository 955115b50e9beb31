"""Reports of a run folder: figures, and (terminal, Markdown, JSON, HTML) summaries."""
