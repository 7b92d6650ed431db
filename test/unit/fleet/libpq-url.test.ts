/**
 * LIBPQ_URL_TO_ENV, run by the shells a backup meets in containers (dash on Debian images, bash; busybox
 * ash when this machine has it): the URL loses its password, PGPASSWORD gets it percent-decoded.
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { describe, expect, it } from "vitest";
import { backupScript } from "../../../src/fleet/ops.ts";
import { LIBPQ_URL_TO_ENV } from "../../../src/fleet/libpq-url.ts";

const shells = [["dash"], ["bash", "--norc", "--noprofile", "--posix"], ["busybox", "sh"]].filter(([s]) =>
  spawnSync(s, ["-c", "exit 0"]).status === 0
);

/** `u`, then the exported PGPASSWORD (null when unset), as the shell leaves them. */
function split(shell: string[], url: string): { u: string; password: string | null } {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C",
    DATABASE_URL: url,
  };
  const script = `${LIBPQ_URL_TO_ENV}\nprintf '%s\\n' "$u"; exec printenv PGPASSWORD`;
  const r = spawnSync(shell[0], [...shell.slice(1), "-c", script], { env, encoding: "buffer" });
  expect(r.stderr.toString()).toBe("");
  const out = r.stdout;
  const nl = out.indexOf(10);
  const u = out.subarray(0, nl).toString();
  // printenv adds a newline after the value, and exits 1 when the variable is unset.
  const password = r.status === 0 ? out.subarray(nl + 1, out.length - 1).toString() : null;
  return { u, password };
}

const odd = "p@ss/w:rd+%é \\n'\"$`!";
const cases: { name: string; url: string; u: string; password: string | null }[] = [
  {
    name: "plain",
    url: "postgresql://lago:s3cret@db:5432/lago",
    u: "postgresql://lago@db:5432/lago",
    password: "s3cret",
  },
  {
    name: "percent-encoded, every special character",
    url: `postgresql://lago:${encodeURIComponent(odd)}@db:5432/lago?sslmode=require`,
    u: "postgresql://lago@db:5432/lago?sslmode=require",
    password: odd,
  },
  { name: "lower-case hex", url: "postgres://u:a%2fb%3a@h/d", u: "postgres://u@h/d", password: "a/b:" },
  {
    name: "a raw @ in the password",
    url: "postgresql://u:a@b@h/d",
    u: "postgresql://u@h/d",
    password: "a@b",
  },
  {
    name: "a % not followed by hex",
    url: "postgresql://u:50%off@h/d",
    u: "postgresql://u@h/d",
    password: "50%off",
  },
  { name: "an encoded newline", url: "postgresql://u:a%0A@h/d", u: "postgresql://u@h/d", password: "a\n" },
  { name: "empty password", url: "postgresql://u:@h/d", u: "postgresql://u@h/d", password: "" },
  { name: "no path", url: "postgresql://u:p@h:5433", u: "postgresql://u@h:5433", password: "p" },
  {
    name: "query right after the host",
    url: "postgresql://u:p@h?sslmode=disable",
    u: "postgresql://u@h?sslmode=disable",
    password: "p",
  },
  {
    name: "an encoded user stays encoded",
    url: "postgresql://us%40er:p@h/d",
    u: "postgresql://us%40er@h/d",
    password: "p",
  },
  { name: "no password", url: "postgresql://lago@db/lago", u: "postgresql://lago@db/lago", password: null },
  { name: "no user", url: "postgresql://db:5432/lago", u: "postgresql://db:5432/lago", password: null },
  {
    name: "an @ in the path is not userinfo",
    url: "postgresql://h/d@x",
    u: "postgresql://h/d@x",
    password: null,
  },
];

describe("LIBPQ_URL_TO_ENV", () => {
  it("runs in at least dash and bash", () => expect(shells.length).toBeGreaterThanOrEqual(2));
  for (const shell of shells) {
    describe(shell[0], () => {
      for (const c of cases) {
        it(c.name, () => expect(split(shell, c.url)).toEqual({ u: c.u, password: c.password }));
      }
    });
  }
});

describe("backupScript", () => {
  it("gives pg_dump the URL without its password, the password in PGPASSWORD", () => {
    const script = backupScript({ from: "v1", backend: "lago-api-1", image: "getlago/postgres-partman:15" });
    const dumps = script.split("\n").filter((l) => /pg_dump --no-owner/.test(l));
    expect(dumps.length).toBeGreaterThan(0);
    expect(script).toContain("export PGPASSWORD");
    for (const l of dumps) expect(l).not.toContain('DATABASE_URL"');
    expect(script).toContain(`exec pg_dump --no-owner "$u"`);
  });
});
