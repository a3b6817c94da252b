"""Tests for wordfreq.py: the count_words function and the command line."""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from wordfreq import count_words  # noqa: E402  (the path above must be set first)

SCRIPT = os.path.join(HERE, "wordfreq.py")


def run(args, stdin=""):
    return subprocess.run(
        [sys.executable, SCRIPT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )


class CountWordsTest(unittest.TestCase):
    def test_ignores_case(self):
        self.assertEqual(count_words("The the THE"), {"the": 3})

    def test_keeps_apostrophes_inside_words(self):
        self.assertEqual(count_words("don't stop, don't"), {"don't": 2, "stop": 1})

    def test_keeps_hyphenated_words_whole(self):
        self.assertEqual(count_words("a well-known fact"), {"a": 1, "well-known": 1, "fact": 1})

    def test_strips_leading_and_trailing_punctuation(self):
        self.assertEqual(count_words("'quoted' -- dash- (paren)"), {"quoted": 1, "dash": 1, "paren": 1})

    def test_counts_non_ascii_letters(self):
        self.assertEqual(count_words("Café CAFÉ Δέλτα"), {"café": 2, "δέλτα": 1})

    def test_min_length_drops_short_words(self):
        self.assertEqual(count_words("a bb ccc bb", min_length=2), {"bb": 2, "ccc": 1})

    def test_empty_text_has_no_words(self):
        self.assertEqual(count_words("  ... --- !!! "), {})


class CommandLineTest(unittest.TestCase):
    def test_reads_stdin_and_prints_count_tab_word(self):
        result = run([], stdin="b a b\n")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, "2\tb\n1\ta\n")

    def test_top_limits_the_lines(self):
        result = run(["--top", "2"], stdin="x x x y y z\n")
        self.assertEqual(result.stdout, "3\tx\n2\ty\n")

    def test_top_zero_prints_every_word(self):
        result = run(["-n", "0"], stdin="x x x y y z\n")
        self.assertEqual(result.stdout, "3\tx\n2\ty\n1\tz\n")

    def test_ties_are_alphabetical(self):
        result = run([], stdin="pear apple fig apple pear fig\n")
        self.assertEqual(result.stdout, "2\tapple\n2\tfig\n2\tpear\n")

    def test_bad_argument_exits_2(self):
        result = run(["--top", "many"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("usage:", result.stderr)

    def test_missing_file_exits_1_with_the_script_name(self):
        result = run([os.path.join(HERE, "no-such-file.txt")])
        self.assertEqual(result.returncode, 1)
        self.assertTrue(result.stderr.startswith("wordfreq.py: "))


if __name__ == "__main__":
    unittest.main()
