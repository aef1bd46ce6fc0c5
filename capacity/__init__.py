"""The Havn registry: centres, units, availability, holds, audit, search and geography.

Nothing in this package imports a web framework, a template engine or Rasa.
"""
