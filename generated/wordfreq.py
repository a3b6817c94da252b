#!/usr/bin/env python3
"""Count how often each word occurs in text files (or stdin) and print the most frequent ones."""

import argparse
import collections
import re
import sys

# Letters and digits of any script (\w minus the underscore), plus apostrophes and hyphens inside words.
WORD = re.compile(r"[^\W_](?:[^\W_]|['\-])*", re.UNICODE)
EDGE_PUNCTUATION = "'-"


def count_words(text, min_length=1):
    """Return a Counter of the lower-cased words of `text` that have at least `min_length` characters."""
    counts = collections.Counter()
    for match in WORD.finditer(text):
        word = match.group(0).strip(EDGE_PUNCTUATION).casefold()
        if len(word) >= min_length:
            counts[word] += 1
    return counts


def non_negative(value):
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="wordfreq.py",
        description="Count word frequencies in files (or stdin) and print `count<TAB>word`, most frequent first.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="files to read (default: stdin; - is stdin)")
    parser.add_argument("-n", "--top", type=non_negative, default=10, metavar="N", help="print the N most frequent words (0: all; default 10)")
    parser.add_argument("--min-length", type=non_negative, default=1, metavar="L", help="ignore words shorter than L characters (default 1)")
    # argparse already prints the usage to stderr and exits 2 on bad arguments, and exits 0 for --help.
    return parser.parse_args(argv)


def read_inputs(files):
    if not files:
        files = ["-"]
    for name in files:
        if name == "-":
            yield sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as handle:
                yield handle.read()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    counts = collections.Counter()
    try:
        for text in read_inputs(args.files):
            counts.update(count_words(text, args.min_length))
    except (OSError, UnicodeDecodeError) as error:
        print(f"wordfreq.py: {error}", file=sys.stderr)
        return 1
    # Most frequent first; ties alphabetically, so the output is the same on every run.
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if args.top:
        ranked = ranked[: args.top]
    for word, count in ranked:
        print(f"{count}\t{word}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
