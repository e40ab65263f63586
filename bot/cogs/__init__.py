"""One cog per feature: ask, quote, sources, admin. Cogs only translate to and from Discord."""
