"""Havn's custom actions: small classes that read the conversation, call the registry's
JSON API through `registry_client`, and return events."""
