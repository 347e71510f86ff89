"""Typed readers for environment variables; a bad value fails loudly at start-up."""

import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, env: Mapping[str, str] = os.environ) -> str:
    """Return a string variable, or the default; with no default the variable is required."""
    value = env.get(name)
    if value is None:
        if default is None:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name: str, default: bool, *, env: Mapping[str, str] = os.environ) -> bool:
    """Return a boolean variable: 1/true/yes/on or 0/false/no/off, any case."""
    value = env.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false, yes/no), not {value!r}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    env: Mapping[str, str] = os.environ,
) -> int:
    """Return an integer variable, checked against optional bounds."""
    value = env.get(name)
    if value is None:
        result = default
    else:
        try:
            result = int(value.strip())
        except ValueError:
            raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None
    if minimum is not None and result < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {result}.")
    if maximum is not None and result > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {result}.")
    return result


def env_list(name: str, default: list[str], *, env: Mapping[str, str] = os.environ) -> list[str]:
    """Return a comma-separated list variable, with blanks dropped."""
    value = env.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_url(
    name: str, schemes: tuple[str, ...], *, env: Mapping[str, str] = os.environ
) -> str | None:
    """Return a URL variable whose scheme is one of `schemes`, or None when unset or blank."""
    value = env.get(name, "").strip()
    if not value:
        return None
    scheme = value.split("://", 1)[0].lower() if "://" in value else ""
    if scheme not in schemes:
        allowed = ", ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}; got {value!r}.")
    return value
