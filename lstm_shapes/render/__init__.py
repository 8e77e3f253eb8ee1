"""Turn reports into text: rich tables, Markdown, JSON. Never imports torch."""
