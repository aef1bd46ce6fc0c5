"""Havn's web process: public site, staff portal, adviser console, JSON API and chat proxy."""
