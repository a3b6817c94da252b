// Which fence labels the extractor takes for an output's own language, which say nothing, and which
// are clearly another language: the names models write after a fence, language by language.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import {
  commentOpeners,
  holdsFences,
  labelHoldsFences,
  languageFit,
  languageOfLabel,
  languageOfPath,
} from "../../src/answer/languages.js";

const C = ["//", "/*"];
const ALL = ["#", "//", "/*", "<!--", "--", "%", ";", "(*"];

/**
 * Every language pc knows: its canonical name, files of it, every name models write for it after a
 * fence, the other languages whose blocks are taken for its files, and how a comment opens in it
 * (a first line naming the file); none: any comment opener is read.
 */
const LANGUAGES: Array<[string, string[], string[], string[], string[]?]> = [
  ["python", ["a.py", "a.pyi", "A.PY"], ["py", "python3", "py3", "PYTHON"], [], ["#"]],
  ["javascript", ["a.js", "a.mjs", "a.cjs"], ["js", "node", "nodejs", "mjs", "cjs", "ecmascript"], ["jsx"], C],
  ["typescript", ["a.ts", "a.mts", "a.cts"], ["ts", "mts", "cts"], ["tsx"], C],
  ["tsx", ["a.tsx"], [], ["typescript", "jsx", "javascript"], C],
  ["jsx", ["a.jsx"], [], ["javascript"], C],
  ["bash", ["a.sh", "a.zsh", "a.bash"], ["sh", "shell", "zsh", "ksh", "shellscript", "posix"], [], ["#"]],
  ["go", ["a.go"], ["golang"], [], C],
  ["rust", ["a.rs"], ["rs"], [], C],
  ["ruby", ["a.rb"], ["rb"], [], ["#"]],
  ["java", ["A.java"], [], [], C],
  ["c", ["a.c", "a.h"], ["h"], ["cpp"], C],
  ["cpp", ["a.cpp", "a.hpp", "a.cc", "a.cxx", "a.hh"], ["c++", "cxx", "cc", "hpp", "hxx", "hh"], ["c"], C],
  ["csharp", ["a.cs"], ["cs", "c#"], [], C],
  ["php", ["a.php"], [], [], ["#", "//", "/*"]],
  ["lua", ["a.lua"], [], [], ["--"]],
  ["json", ["a.json", "a.jsonc", "a.json5"], ["jsonc", "json5"], [], ["//"]],
  ["yaml", ["a.yaml", "a.yml"], ["yml"], [], ["#"]],
  ["toml", ["a.toml"], [], [], ["#"]],
  ["markdown", ["a.md", "README.markdown", "a.mdx"], ["md", "mdx", "gfm"], [], ["<!--"]],
  ["html", ["a.html", "a.htm"], ["htm", "xhtml"], [], ["<!--"]],
  ["css", ["a.css"], [], [], ["/*"]],
  ["scss", ["a.scss", "a.sass"], ["sass"], ["css"], C],
  ["less", ["a.less"], [], [], C],
  ["sql", ["a.sql"], ["postgresql", "postgres", "psql", "mysql", "sqlite", "plsql", "tsql"], [], ["/*", "--"]],
  ["swift", ["a.swift"], [], [], C],
  ["kotlin", ["a.kt", "build.gradle.kts"], ["kt", "kts"], [], C],
  ["r", ["a.r", "a.R"], [], [], ["#"]],
  ["perl", ["a.pl"], ["pl"], [], ["#"]],
  ["haskell", ["a.hs"], ["hs"], [], ["--"]],
  ["xml", ["a.xml", "a.svg", "a.xsl"], ["svg", "xsl"], [], ["<!--"]],
  ["dockerfile", ["Dockerfile", "docker/Containerfile", "a.dockerfile"], ["docker", "containerfile"], [], ["#"]],
  ["makefile", ["Makefile", "GNUmakefile", "a.mk"], ["make", "mk"], [], ["#"]],
  ["ini", ["a.ini", "setup.cfg", "app.conf", "a.properties"], ["cfg", "conf", "properties"], [], ["#", ";"]],
  ["powershell", ["a.ps1"], ["ps1", "pwsh"], [], ["#"]],
  ["batch", ["a.bat", "a.cmd"], ["bat", "cmd"], []],
  ["scala", ["a.scala"], [], [], C],
  ["dart", ["a.dart"], [], [], C],
  ["elixir", ["a.ex", "a.exs"], ["ex", "exs"], [], ["#"]],
  ["erlang", ["a.erl"], ["erl"], [], ["%"]],
  ["clojure", ["a.clj"], ["clj"], [], [";"]],
  ["julia", ["a.jl"], ["jl"], [], ["#"]],
  ["zig", ["a.zig"], [], [], ["//"]],
  ["nim", ["a.nim"], [], [], ["#"]],
  ["ocaml", ["a.ml"], ["ml"], [], ["(*"]],
  ["fsharp", ["a.fs"], ["fs"], [], ["//", "(*"]],
  ["vb", ["a.vb"], ["vbnet"], []],
  ["groovy", ["a.groovy", "build.gradle"], ["gradle"], [], C],
  ["graphql", ["a.graphql", "a.gql"], ["gql"], [], ["#"]],
  ["proto", ["a.proto"], ["protobuf"], [], ["//"]],
  ["hcl", ["a.hcl", "main.tf"], ["terraform", "tf"], [], ["#", "//"]],
  ["nix", ["a.nix"], [], [], ["#"]],
  ["vue", ["a.vue"], [], [], ["//", "<!--"]],
  ["svelte", ["a.svelte"], [], [], ["//", "<!--"]],
  ["latex", ["a.tex", "a.latex"], ["tex"], [], ["%"]],
  ["csv", ["a.csv"], [], []],
  ["asm", ["a.asm"], ["nasm", "x86asm"], [], [";"]],
  ["matlab", ["a.matlab"], [], [], ["%"]],
  ["objectivec", ["a.objc"], ["objc", "objective-c"], [], C],
  ["solidity", ["a.sol"], ["sol"], [], C],
];

describe("fence labels", () => {
  it.each(LANGUAGES)("%s: each of its files, each of its names", (language, files, names, takes) => {
    for (const file of files) {
      expect(languageOfPath(file), file).toBe(language);
      for (const label of [language, ...names, ...takes])
        expect(languageFit(label, file), `${label} for ${file}`).toBe("same");
    }
    for (const label of [language, ...names]) expect(languageOfLabel(label), label).toBe(language);
  });

  it("every other language is clearly another file's, even a close one", () => {
    for (const [wanted, files, , takes] of LANGUAGES) {
      for (const [given] of LANGUAGES) {
        if (given === wanted || takes.includes(given)) continue;
        for (const file of files) expect(languageFit(given, file), `${given} for ${file}`).toBe("other");
      }
    }
  });

  it("a label that says nothing about the language is neutral, whatever the output, even one of that extension", () => {
    for (const label of ["", "text", "txt", "plaintext", "plain", "code", "none", "file", "raw", "source", "Text"]) {
      expect(languageFit(label, "a.py"), label).toBe("neutral");
      expect(languageFit(label, "etc/app.vhost"), label).toBe("neutral");
      expect(languageFit(label, `notes.${label}`), label).toBe("neutral");
    }
    expect(languageFit("brainfuck", "a.py")).toBe("neutral");
  });

  it("patches and terminal sessions are never a file's content; a patch is the content of a .diff or .patch", () => {
    const never = ["diff", "patch", "udiff", "console", "terminal", "shell-session", "sh-session", "shellsession"];
    never.push("bash-session", "pycon", "ipython", "python-repl", "repl", "irb", "output", "stdout", "log", "tree");
    for (const label of never) {
      expect(languageFit(label, "a.py"), label).toBe("other");
      expect(languageFit(label, "notes.txt"), label).toBe("other");
    }
    for (const label of ["diff", "patch", "udiff"]) {
      expect(languageFit(label, "fix.diff"), label).toBe("same");
      expect(languageFit(label, "fix.patch"), label).toBe("same");
    }
    expect(languageFit("console", "fix.diff")).toBe("other");
    expect(languageFit("python", "fix.patch")).toBe("other");
  });

  it("only Markdown holds fences of its own", () => {
    for (const file of ["a.md", "README.markdown", "a.mdx"]) expect(holdsFences(file), file).toBe(true);
    for (const file of ["a.py", "a.txt", "a.html", "README"]) expect(holdsFences(file), file).toBe(false);
    for (const label of ["markdown", "md", "gfm"]) expect(labelHoldsFences(label), label).toBe(true);
    for (const label of ["", "text", "python", "html"]) expect(labelHoldsFences(label), label).toBe(false);
  });
});

describe("a first line naming the file", () => {
  it.each(LANGUAGES)("in %s opens as a comment does there", (language, _files, names, _takes, comments = ALL) => {
    for (const label of [language, ...names]) expect(commentOpeners(label), label).toEqual(comments);
  });

  it("in a block with no language, or one pc does not know, opens with any comment opener", () => {
    expect(commentOpeners("")).toEqual(ALL);
    expect(commentOpeners("brainfuck")).toEqual(ALL);
    expect(commentOpeners("csv")).toEqual(ALL);
  });

  it("is dropped from the file only when it is a comment in the block's language", () => {
    const answer = (label: string, first: string) => `\`\`\`${label}\n${first}\nx = 1\n\`\`\`\n`;
    const one = (label: string, first: string, output: string) =>
      extractOutputs(answer(label, first), [output], "fenced")[output];
    expect(one("sql", "-- db/q.sql", "db/q.sql")).toBe("x = 1\n");
    expect(one("lua", "-- lib/a.lua", "lib/a.lua")).toBe("x = 1\n");
    expect(one("ini", "; etc/a.ini", "etc/a.ini")).toBe("x = 1\n");
    expect(one("ocaml", "(* lib/a.ml *)", "lib/a.ml")).toBe("x = 1\n");
    expect(one("python", "// generated/a.py", "generated/a.py")).toBe("// generated/a.py\nx = 1\n");
    expect(one("", "-- generated/a.py", "generated/a.py")).toBe("x = 1\n");
  });
});
