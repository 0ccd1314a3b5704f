"""Word and line statistics for a text file: `python3 textstats.py FILE`."""

import re
import sys
from collections import Counter

WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def words(text: str) -> list[str]:
    """The words of the text, lower case, apostrophes and hyphens kept inside words."""
    return [w.lower().strip("'-") for w in WORD.findall(text)]


def stats(text: str) -> dict[str, float]:
    lines = text.splitlines()
    found = words(text)
    return {
        "lines": len(lines),
        "blank_lines": sum(1 for line in lines if not line.strip()),
        "words": len(found),
        "distinct_words": len(set(found)),
        "mean_word_length": sum(map(len, found)) / len(found) if found else 0.0,
        "longest_line": max((len(line) for line in lines), default=0),
    }


def top_words(text: str, n: int = 10) -> list[tuple[str, int]]:
    return Counter(words(text)).most_common(n)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: textstats.py FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as error:
        print(f"textstats: cannot read {argv[1]}: {error}", file=sys.stderr)
        return 1
    for key, value in stats(text).items():
        print(f"{key:>16}: {value:.2f}" if isinstance(value, float) else f"{key:>16}: {value}")
    print()
    for word, count in top_words(text):
        print(f"{count:>6}  {word}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
