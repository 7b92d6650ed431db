/** Reading files a person hands the tool, and checking where output goes: each refusal names the file. */
import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "../../../src/core/errors.ts";
import { checkOutputFile, readTextFile, writeFileAtomically } from "../../../src/core/files.ts";

const dir = mkdtempSync(join(tmpdir(), "lago-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

writeFileSync(at("small"), "hello");
writeFileSync(at("big"), "x".repeat(2000));
writeFileSync(at("empty"), "");
mkdirSync(at("folder"));
execFileSync("mkfifo", [at("fifo")]);
symlinkSync("nowhere", at("dangling"));
symlinkSync("loop-b", at("loop-a"));
symlinkSync("loop-a", at("loop-b"));
symlinkSync("/dev/zero", at("zero"));
symlinkSync("small", at("link-to-small"));

describe("readTextFile", () => {
  const read = (name: string) => readTextFile(at(name), { what: "plan", maxBytes: 1000 });
  it.each([
    ["small", "hello"],
    ["empty", ""],
    ["link-to-small", "hello"],
  ])("reads %s", (name, text) => expect(read(name)).toBe(text));

  it.each([
    ["missing", "does not exist"],
    ["folder", "is a directory, not a file"],
    ["fifo", "is a FIFO (named pipe), not a file"],
    ["zero", "is a device, not a file"],
    ["dangling", "is a symbolic link to a file that does not exist"],
    ["loop-a", "is a loop of symbolic links"],
    ["big", "is too large (2000 bytes; a plan is at most 1000 bytes)"],
    ["small/inside", "does not exist (a part of the path is not a directory)"],
  ])("refuses %s: %s", (name, why) => expect(() => read(name)).toThrow(`plan ${at(name)} ${why}`));
});

describe("checkOutputFile", () => {
  const check = (path: string) => checkOutputFile(path, { what: "plan", flag: "-o", example: "plan.json" });
  it.each([["new.json"], ["small"]])("accepts %s", (name) => expect(() => check(at(name))).not.toThrow());

  it.each([
    ["missing/plan.json", `the folder ${at("missing")} does not exist`],
    ["folder", `is a directory; the plan is written to a file`],
    ["fifo", "is a FIFO (named pipe); the plan is written to a file"],
    ["small/plan.json", `${at("small")} is a file, not a folder`],
  ])("refuses %s as a usage error", (name, why) => {
    expect(() => check(at(name))).toThrow(why);
    expect(() => check(at(name))).toThrow(UsageError);
  });
});

describe("writeFileAtomically", () => {
  it("replaces the file whole and leaves no temp file", () => {
    const sub = at("atomic");
    mkdirSync(sub);
    writeFileAtomically(join(sub, "out.json"), "one");
    writeFileAtomically(join(sub, "out.json"), "two");
    expect(readFileSync(join(sub, "out.json"), "utf8")).toBe("two");
    expect(readdirSync(sub)).toEqual(["out.json"]);
  });
});
