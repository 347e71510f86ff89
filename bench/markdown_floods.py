"""How long the one Markdown renderer takes on hostile bracket floods (20,000 characters).

Stock Python-Markdown rescans the rest of the text for every "[", which is quadratic; the
renderer in deliberation/text.py finds closing brackets with a table built once per text.
Run: DJANGO_DEBUG=1 .venv/bin/python -m bench.markdown_floods
"""

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from deliberation.text import MAX_MARKDOWN_CHARS, render_markdown  # noqa: E402

FLOODS = {
    "open brackets": "[" * MAX_MARKDOWN_CHARS,
    "unclosed links": "[a](" * (MAX_MARKDOWN_CHARS // 4),
    "brackets then parens": "[" * 6000 + "]" * 6000 + "(" * 6000,
    "nested brackets": ("[" + "[]" * 33 + "](b)") * 280,
    "ordinary text": ("居民议事会讨论加装电梯，**赞成** [链接](https://example.org)。\n\n" * 400)[
        :MAX_MARKDOWN_CHARS
    ],
}


def main() -> None:
    print(f"| input ({MAX_MARKDOWN_CHARS} chars max) | best of 3, ms |")
    print("|---|---|")
    for name, text in FLOODS.items():
        best = min(_time(text) for _ in range(3))
        print(f"| {name} | {best * 1000:.0f} |")


def _time(text: str) -> float:
    start = time.perf_counter()
    render_markdown(text)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
