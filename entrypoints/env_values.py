"""Reading one configuration value from the environment: the parsers every setting shares, and
the error that names the variable at fault (never its value).
"""

from collections.abc import Mapping


class SettingsError(ValueError):
    """A configuration value is missing or malformed. The message names the variable (and, for
    a document, the member at fault), never a value.
    """


def choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    for option in choices:
        if raw.lower() == option.lower():
            return option
    raise SettingsError(f"{name} must be one of {', '.join(choices)}")


def flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    raise SettingsError(f"{name} must be true or false")


def listed(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in environ.get(name, "").split(",") if item.strip())


def whole_number(environ: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


def seconds(
    environ: Mapping[str, str], name: str, default: float, *, allow_zero: bool = False
) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds") from None
    if not (value > 0 or (allow_zero and value == 0)):
        raise SettingsError(f"{name} must be {'zero or more' if allow_zero else 'positive'}")
    return value
