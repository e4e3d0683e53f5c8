"""Maintainer tools: ``build`` (notebooks from tutorials/) and ``launch`` (badges, Colab cell)."""
