"""Webhooks out: events as Standard Webhooks messages, signed and POSTed."""
