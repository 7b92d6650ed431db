/**
 * The host-side reader for real: the rendered command run by dash and bash (LC_ALL=C) against env
 * files in a temp dir. Hash mode must agree with secretHash; value mode must give the values back.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { render } from "../../../src/core/command.ts";
import { secretHash } from "../../../src/secrets/formats.ts";
import { parseSecretFiles, type ReadMode, readSecretsCommand } from "../../../src/secrets/host-files.ts";

const dir = mkdtempSync(join(tmpdir(), "lago-envfiles-"));
const path = (name: string) => join(dir, name);
const write = (name: string, text: string) => writeFileSync(path(name), text);

const NAMES = ["A_KEY", "B_KEY", "C_KEY", "D_KEY", "E_KEY", "F_KEY", "LAGO_RSA_PRIVATE_KEY", "EMPTY_KEY"];

write(
  ".env",
  [
    "# a comment with A_KEY=nope",
    'export A_KEY="hello world" # quoted, then a comment',
    "B_KEY=plain # a comment",
    "  C_KEY = 'single $quoted'",
    "D_KEY=first",
    "D_KEY=last wins",
    'LAGO_RSA_PRIVATE_KEY="TFMwdExT',
    "LS0tQkVH",
    'SU4="',
    "E_KEY=crlf\r",
    "EMPTY_KEY=",
    "UNASKED=x",
    "F_KEY=no-newline-at-end",
  ].join("\n"),
);
write("secrets.env", "A_KEY=other\n");
mkdirSync(path("folder"));

const expected: Record<string, string> = {
  A_KEY: "hello world",
  B_KEY: "plain",
  C_KEY: "single $quoted",
  D_KEY: "last wins",
  LAGO_RSA_PRIVATE_KEY: "TFMwdExTLS0tQkVHSU4=",
  E_KEY: "crlf",
  F_KEY: "no-newline-at-end",
};

function run(
  shell: string,
  mode: ReadMode,
  files = [path("secrets.env"), path(".env"), path("none"), path("folder")],
) {
  const r = spawnSync(shell, ["-c", render(readSecretsCommand(files, NAMES, mode))], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  expect(r.stderr).toBe("");
  return parseSecretFiles({ exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }, mode);
}

for (const shell of ["dash", "bash"]) {
  describe(`reading env files with ${shell}`, () => {
    it("value mode gives back what docker compose would read", () => {
      const out = run(shell, "value");
      expect(out.dirExists).toBe(true);
      expect(out.files.map((f) => [f.path, f.state])).toEqual([
        [path("secrets.env"), "file"],
        [path(".env"), "file"],
        [path("none"), "missing"],
        [path("folder"), "other"],
      ]);
      expect(out.files[0].values).toEqual({ A_KEY: "other" });
      expect(out.files[1].values).toEqual(expected);
    });

    it("hash mode sends only sha256 hashes, equal to secretHash of the values", () => {
      const out = run(shell, "hash");
      const hashed = Object.fromEntries(Object.entries(expected).map(([n, v]) => [n, secretHash(n, v)]));
      expect(out.files[1].values).toEqual(hashed);
      for (const v of Object.values(out.files[1].values)) expect(v).toMatch(/^[0-9a-f]{64}$/);
    });

    it("reports the file's own hash, mode and owner", () => {
      chmodSync(path("secrets.env"), 0o600);
      const f = run(shell, "hash").files[0];
      expect(f.sha256).toBe(createHash("sha256").update("A_KEY=other\n").digest("hex"));
      expect(f.mode).toBe("0600");
      expect(f.owner).toMatch(/\w/);
    });

    it("says when the first file's folder is missing", () => {
      expect(run(shell, "hash", [path("nofolder/secrets.env")]).dirExists).toBe(false);
    });
  });
}

it("refuses names that are not environment variable names", () => {
  expect(() => readSecretsCommand(["/x"], ["A;rm -rf /"], "hash")).toThrow(
    "not an environment variable name",
  );
});
