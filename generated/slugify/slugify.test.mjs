import assert from "node:assert/strict";
import { test } from "node:test";
import { slugify } from "./slugify.mjs";

test("drops accents", () => {
  assert.equal(slugify("Crème brûlée"), "creme-brulee");
  assert.equal(slugify("Ångström naïve"), "angstrom-naive");
});

test("turns each run of punctuation and spaces into one separator", () => {
  assert.equal(
    slugify("Hello,   World!!! How's it -- going?"),
    "hello-world-how-s-it-going",
  );
});

test("trims separators at both ends", () => {
  assert.equal(slugify("  ***Launch day*** "), "launch-day");
});

test("uses a custom separator", () => {
  assert.equal(
    slugify("Prompt Coding 101", { separator: "_" }),
    "prompt_coding_101",
  );
});

test("cuts at a word boundary to stay within maxLength", () => {
  assert.equal(slugify("the quick brown fox", { maxLength: 12 }), "the-quick");
  assert.equal(
    slugify("the quick brown fox", { maxLength: 15 }),
    "the-quick-brown",
  );
  assert.equal(slugify("supercalifragilistic", { maxLength: 5 }), "super");
});

test("is empty for text without letters or digits", () => {
  assert.equal(slugify("!!! --- ???"), "");
  assert.equal(slugify(""), "");
});

test("throws a TypeError for anything but a string", () => {
  assert.throws(() => slugify(42), TypeError);
  assert.throws(() => slugify(null), /got null/);
});
