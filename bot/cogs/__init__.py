"""One extension per feature: ask, quote, sources, admin, docs. Each module's `setup(bot)` adds
its cog; the bot loads them in `setup_hook`. Cogs only translate to and from Discord."""
