"""How an extension is registered and how it wraps moto."""

from __future__ import annotations

from collections.abc import Callable

EXTENSIONS: list[Callable[[], None]] = []


def extension(install: Callable[[], None]) -> Callable[[], None]:
    """Registers `install`, which changes moto in place, to run in the server process before moto
    serves its first request (and before each in-process mock of the tests)."""
    EXTENSIONS.append(install)
    return install


def wrap(owner, name: str, wrapper_of) -> None:
    """`owner.name = wrapper_of(moto's own owner.name)`. Installing again (the tests install for
    every mock) replaces the wrapper instead of wrapping it twice."""
    current = getattr(owner, name)
    moto_own = getattr(current, "moto_own", current)
    wrapper = wrapper_of(moto_own)
    wrapper.moto_own = moto_own
    setattr(owner, name, wrapper)


def one_page(items: list, max_results: int | None, token: str | None) -> tuple[list, str | None]:
    """One page of a listing, and the token of the next one (its position) if there is one."""
    from moto.core.exceptions import InvalidNextTokenException

    if token is not None and not token.isdigit():
        raise InvalidNextTokenException()
    start = int(token or 0)
    end = start + max_results if max_results else len(items)
    return items[start:end], str(end) if end < len(items) else None
