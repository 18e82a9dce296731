"""The base of every domain error."""


class DomainError(Exception):
    """Base of every error the domain and use cases raise on purpose."""
