/**
 * The probes and steps for real: rendered commands run by `sh -c` (LC_ALL=C) on this machine against a
 * temp dir, a local git repository and local TCP/HTTP servers. Proves the parsers read real `stat`,
 * `sha256sum`, `dpkg-query`, `git` output, and that applying a plan makes the next plan a no-op.
 */
import { refuseMissing } from "../../../src/engine/task.ts";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Command, render } from "../../../src/core/command.ts";
import type { ExecResult } from "../../../src/core/types.ts";
import { ENV_HASHES } from "../../../src/modules/docker_compose/scripts.ts";
import { modules } from "../../../src/modules/index.ts";
import type { Plan, Probe, Step } from "../../../src/modules/types.ts";
import { contextFor } from "./harness.ts";

const sh = (command: Command, opts: { stdin?: string | Uint8Array; env?: Record<string, string> } = {}) => {
  const r = spawnSync("sh", ["-c", render(command)], {
    input: opts.stdin,
    env: { ...process.env, LC_ALL: "C", ...opts.env },
    encoding: "utf8",
  });
  return { exitCode: r.status ?? -1, stdout: r.stdout, stderr: r.stderr } satisfies ExecResult;
};

const user = execFileSync("id", ["-un"], { encoding: "utf8" }).trim();
const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();

/** probe -> parse -> plan, as the engine does it. */
function planFor(
  name: string,
  rawArgs: Record<string, unknown>,
  opts: { check?: boolean; files?: Record<string, string> } = {},
) {
  const mod = modules[name];
  const args = mod.args.parse(rawArgs);
  const ctx = contextFor({ localFiles: opts.files });
  const probe = mod.probe(args, ctx);
  const facts = probe ? probe.parse(sh(probe.command)) : undefined;
  const plan = mod.plan(args, facts, ctx) as Plan;
  // As the engine does on apply: a plan resting on something missing fails.
  if (!opts.check) refuseMissing(plan);
  return { plan, facts, args };
}

/** A local stand-in for the engine's step runner (exec through sh; write = temp file, chmod, rename). */
function apply(steps: Step[]): ExecResult[] {
  const outputs: ExecResult[] = [];
  for (const step of steps) {
    if (step.kind === "exec") {
      const r = sh(step.command, { stdin: step.stdin });
      outputs.push(r);
      if (step.okCodes !== "any" && !(step.okCodes ?? [0]).includes(r.exitCode)) {
        throw new Error(`step failed (${r.exitCode}): ${render(step.command)}\n${r.stderr}`);
      }
    } else if (step.kind === "write") {
      const tmp = `${step.path}.lago-tmp`;
      writeFileSync(tmp, step.content);
      if (step.mode) chmodSync(tmp, parseInt(step.mode, 8));
      renameSync(tmp, step.path);
    }
  }
  return outputs;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-probe-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("file and stat probes on a real file system", () => {
  it("reads types, modes, owners and link targets", () => {
    mkdirSync(join(dir, "d"));
    chmodSync(join(dir, "d"), 0o2750);
    writeFileSync(join(dir, "f"), "hello\n");
    chmodSync(join(dir, "f"), 0o640);
    symlinkSync("f", join(dir, "l"));
    symlinkSync("nowhere", join(dir, "dangling"));

    const stat = (path: string, extra: Record<string, unknown> = {}) =>
      planFor("stat", { path: join(dir, path), ...extra }).plan.result!.stat as Record<string, unknown>;
    expect(stat("d")).toMatchObject({ exists: true, isdir: true, mode: "2750", owner: user, group });
    expect(stat("f")).toMatchObject({
      exists: true,
      isreg: true,
      mode: "0640",
      size: 6,
      checksum: createHash("sha256").update("hello\n").digest("hex"),
    });
    expect(stat("l")).toMatchObject({ exists: true, islnk: true, lnk_target: "f" });
    expect(stat("l", { follow: true })).toMatchObject({ exists: true, isreg: true, mode: "0640" });
    expect(stat("dangling")).toMatchObject({ exists: true, islnk: true, lnk_target: "nowhere" });
    expect(stat("dangling", { follow: true })).toEqual({ exists: false });
    expect(stat("missing")).toEqual({ exists: false });
  });

  it("file: apply, then the same task is a no-op", () => {
    const path = join(dir, "app dir", "sub");
    const args = { path, state: "directory", mode: "0750", owner: user };
    const first = planFor("file", args).plan;
    expect(first.changed).toBe(true);
    apply(first.steps);
    const again = planFor("file", args).plan;
    expect(again).toMatchObject({ changed: false, steps: [] });
    expect(again.reason).toContain("already a directory with the requested attributes");

    const link = { path: join(dir, "current"), state: "link", src: path };
    apply(planFor("file", link).plan.steps);
    expect(planFor("file", link).plan.changed).toBe(false);
    const repoint = planFor("file", { ...link, src: join(dir, "d") }).plan;
    expect(repoint.reason).toContain(`(was ${path})`);

    apply(planFor("file", { path: join(dir, "app dir"), state: "absent" }).plan.steps);
    expect(existsSync(join(dir, "app dir"))).toBe(false);
  });

  it("file recurse: finds entries below with other modes", () => {
    const top = join(dir, "tree");
    mkdirSync(join(top, "a"), { recursive: true });
    writeFileSync(join(top, "a", "x"), "");
    chmodSync(top, 0o755);
    chmodSync(join(top, "a"), 0o755);
    chmodSync(join(top, "a", "x"), 0o600);
    const args = { path: top, state: "directory", mode: "0755", recurse: true };
    const { plan, facts } = planFor("file", args);
    expect(facts).toMatchObject({ belowDiffers: true });
    expect(plan.changed).toBe(true);
    apply(plan.steps);
    expect(planFor("file", args).plan.changed).toBe(false);
  });
});

describe("copy probe on a real file system", () => {
  it("reads sha256, attributes and content in one command; apply makes it a no-op", () => {
    const dest = join(dir, "conf", "app.conf");
    mkdirSync(join(dir, "conf"));
    const missing = planFor("copy", { dest, content: "a=1\n" });
    expect(missing.facts).toEqual({ parentExists: true, stat: { exists: false } });
    writeFileSync(dest, "a=0\n");
    chmodSync(dest, 0o600);

    const { plan, facts } = planFor("copy", { dest, content: "a=1\n" });
    expect(facts).toMatchObject({
      parentExists: true,
      stat: { type: "file", mode: "0600", size: 4, content: new TextEncoder().encode("a=0\n") },
    });
    expect(plan.diffs).toEqual([{ target: dest, before: "a=0\n", after: "a=1\n" }]);
    apply(plan.steps);
    expect(readFileSync(dest, "utf8")).toBe("a=1\n");
    const again = planFor("copy", { dest, content: "a=1\n" }).plan;
    expect(again).toMatchObject({ changed: false, reason: `${dest} already has the requested content` });
    // The write kept the file's mode.
    expect(planFor("stat", { path: dest }).plan.result).toMatchObject({ stat: { mode: "0600" } });
  });

  it("empty, binary, large and sensitive files", () => {
    const file = (name: string, content: string | Uint8Array) => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    };
    const empty = planFor("copy", { dest: file("empty", ""), content: "x" }).facts as any;
    expect(empty.stat.content).toEqual(new Uint8Array());

    const bin = planFor("copy", { dest: file("bin", new Uint8Array([0, 1, 2, 255])), content: "x" }).plan;
    expect(bin.diffs?.[0]).toMatchObject({ before: "(binary)", after: "x" });

    const big = planFor("copy", { dest: file("big", "x".repeat(300_000)), content: "y" });
    expect((big.facts as any).stat.content).toBeUndefined();
    expect(big.plan.diffs?.[0].before).toBe("(300000 bytes: too large to show)");

    const secret = planFor("copy", {
      dest: file("secret", "TOKEN=abc\n"),
      content: "TOKEN=def\n",
      sensitive: true,
    });
    expect((secret.facts as any).stat.content).toBeUndefined();
    expect(JSON.stringify(secret.plan.diffs)).not.toContain("TOKEN");
  });

  it("missing directory: error on apply, change in check mode", () => {
    const dest = join(dir, "nodir", "x.conf");
    expect(() => planFor("copy", { dest, content: "x" })).toThrow("does not exist");
    expect(planFor("copy", { dest, content: "x" }, { check: true }).plan.changed).toBe(true);
  });

  it("validate blocks bad content; backup keeps the old file", () => {
    const dest = join(dir, "v.conf");
    writeFileSync(dest, "listen 80;\n");
    const bad = planFor("copy", { dest, content: "oops\n", validate: "grep -q listen %s" }).plan;
    expect(() => apply(bad.steps)).toThrow("step failed (1)");
    expect(readFileSync(dest, "utf8")).toBe("listen 80;\n");

    const good =
      planFor("copy", { dest, content: "listen 8080;\n", validate: "grep -q listen %s", backup: true }).plan;
    apply(good.steps);
    expect(readFileSync(dest, "utf8")).toBe("listen 8080;\n");
    const backups = readdirSync(dir).filter((f) => /^v\.conf\.\d{14}~$/.test(f));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(dir, backups[0]), "utf8")).toBe("listen 80;\n");
  });

  it("template renders with variables and lands byte for byte", () => {
    const dest = join(dir, "t.conf");
    const mod = modules.template;
    const ctx = contextFor({ localFiles: { "t.hbs": "port={{port}}\n" }, vars: { port: 8080 } });
    const args = mod.args.parse({ src: "t.hbs", dest });
    const probe = mod.probe(args, ctx)!;
    apply(mod.plan(args, probe.parse(sh(probe.command)), ctx).steps);
    expect(readFileSync(dest, "utf8")).toBe("port=8080\n");
    expect(mod.plan(args, probe.parse(sh(probe.command)), ctx).changed).toBe(false);
  });
});

describe.skipIf(spawnSync("dpkg-query", ["--version"]).status !== 0)(
  "package probe against this machine's dpkg",
  () => {
    it("reads installed packages, skips unknown ones, reads candidates and the index age", () => {
      const { facts } = planFor("package", {
        name: ["dash", "lago-no-such-package"],
        state: "latest",
        cache_valid_time: 60,
      });
      const f = facts as any;
      expect(f.packages.dash.status).toBe("installed");
      expect(f.packages["lago-no-such-package"]).toBeUndefined();
      expect(Object.keys(f.candidates)).toContain("dash");
      if (f.cacheAge !== undefined) expect(f.cacheAge).toBeGreaterThanOrEqual(0);
    });
  },
);

describe("wait_for checks against local servers", () => {
  const waitProbe = (args: Record<string, unknown>): Probe<boolean> => {
    const mod = modules.wait_for;
    const plan = mod.plan(mod.args.parse(args), undefined, contextFor({}));
    const wait = plan.steps.find((s) => s.kind === "wait");
    if (wait?.kind !== "wait") throw new Error("no wait step");
    return wait.probe;
  };
  // Async: the servers below live in this process and must keep answering while the check runs.
  const ready = (probe: Probe<boolean>, env?: Record<string, string>) =>
    new Promise<boolean>((resolve) => {
      const child = spawn("sh", ["-c", render(probe.command)], {
        env: { ...process.env, LC_ALL: "C", ...env },
      });
      let stdout = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.on("close", (code) => resolve(code === 0 && probe.parse({ exitCode: 0, stdout, stderr: "" })));
    });
  it("tcp: ready when open, and state stopped when closed", async () => {
    const server = createTcpServer((s) => s.end()).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    expect(await ready(waitProbe({ port }))).toBe(true);
    expect(await ready(waitProbe({ port, state: "stopped" }))).toBe(false);
    await new Promise((r) => server.close(r));
    expect(await ready(waitProbe({ port }))).toBe(false);
    expect(await ready(waitProbe({ port, state: "stopped" }))).toBe(true);
  });

  it("http: curl, then wget, then bash alone", async () => {
    const server = createHttpServer((req, res) => {
      res.statusCode = req.url === "/health?x=1" ? 204 : 500;
      res.end();
    }).listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const port = (server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/health?x=1`;

    // A PATH holding only the named tools, to take the fallbacks.
    const only = (...tools: string[]) => {
      const bin = mkdtempSync(join(dir, "bin-"));
      for (const t of tools) {
        const found = spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
        if (found) symlinkSync(found, join(bin, t));
      }
      return { PATH: bin };
    };
    const base = ["sh", "bash", "timeout", "awk", "head", "cat"];
    const hasWget = spawnSync("sh", ["-c", "command -v wget"]).status === 0;
    const hasCurl = spawnSync("sh", ["-c", "command -v curl"]).status === 0;

    if (hasCurl) {
      expect(await ready(waitProbe({ url, status: 204 }), only(...base, "curl"))).toBe(true);
      expect(await ready(waitProbe({ url, status: 200 }), only(...base, "curl"))).toBe(false);
    }
    if (hasWget) {
      expect(await ready(waitProbe({ url, status: 204 }), only(...base, "wget"))).toBe(true);
      expect(await ready(waitProbe({ url, status: 200 }), only(...base, "wget"))).toBe(false);
    }
    expect(await ready(waitProbe({ url, status: 204 }), only(...base))).toBe(true);
    expect(await ready(waitProbe({ url: `http://127.0.0.1:${port}/other`, status: 204 }), only(...base)))
      .toBe(
        false,
      );
    await new Promise((r) => server.close(r));
  });
});

describe.skipIf(spawnSync("git", ["--version"]).status !== 0)("git against a local repository", () => {
  const env = {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
    GIT_CONFIG_GLOBAL: "/dev/null",
  };
  const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, { cwd, env: { ...process.env, ...env }, encoding: "utf8" }).trim();
  const run = (name: string, args: Record<string, unknown>) => {
    const { plan } = planFor(name, args);
    const outputs = apply(plan.steps);
    return { plan, result: modules.git.resultFrom!(outputs) };
  };

  it("clones, stays put, follows a branch, checks out tags, refuses to discard changes", () => {
    const origin = join(dir, "origin");
    mkdirSync(origin);
    git(origin, "init", "-q", "-b", "main");
    writeFileSync(join(origin, "a.txt"), "1\n");
    git(origin, "add", "a.txt");
    git(origin, "commit", "-q", "-m", "one");
    git(origin, "tag", "v1");
    const one = git(origin, "rev-parse", "HEAD");

    const dest = join(dir, "checkout");
    const cloned = run("git", { repo: origin, dest, version: "main" });
    expect(cloned.plan.reason).toContain("would clone");
    expect(cloned.result).toMatchObject({ before: null, after: one, changed: true });

    // A branch: the plan cannot know, the result can.
    const same = run("git", { repo: origin, dest, version: "main" });
    expect(same.plan.changed).toBe(true);
    expect(same.result).toMatchObject({ before: one, after: one, changed: false });

    writeFileSync(join(origin, "a.txt"), "2\n");
    git(origin, "commit", "-q", "-am", "two");
    const two = git(origin, "rev-parse", "HEAD");
    const moved = run("git", { repo: origin, dest, version: "main" });
    expect(moved.result).toMatchObject({ before: one, after: two, changed: true });
    expect(git(dest, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");

    // A tag the checkout has: decided without network, a no-op once there.
    const tag = run("git", { repo: origin, dest, version: "v1" });
    expect(tag.plan.reason).toContain("check out v1");
    expect(tag.result).toMatchObject({ before: two, after: one, changed: true });
    expect(planFor("git", { repo: origin, dest, version: "v1" }).plan.changed).toBe(false);

    // A commit: compared with HEAD directly.
    expect(planFor("git", { repo: origin, dest, version: one }).plan.changed).toBe(false);
    expect(run("git", { repo: origin, dest, version: two }).result).toMatchObject({
      after: two,
      changed: true,
    });

    // Local modifications: refused by the fetch script without force, discarded with it.
    writeFileSync(join(origin, "a.txt"), "3\n");
    git(origin, "commit", "-q", "-am", "three");
    writeFileSync(join(dest, "a.txt"), "local edit\n");
    expect(() => run("git", { repo: origin, dest, version: "main" })).toThrow("local modifications");
    const forced = run("git", { repo: origin, dest, version: "main", force: true });
    expect(forced.result).toMatchObject({ changed: true, after: git(origin, "rev-parse", "HEAD") });
    expect(readFileSync(join(dest, "a.txt"), "utf8")).toBe("3\n");
  });
});

describe("docker_compose env hashes", () => {
  it("hash exactly the NAME=value lines check mode compares: not `export NAME=`, not other keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "lago-envhash-"));
    const file = join(dir, "lago.env");
    writeFileSync(file, "FOO=1\nexport BAR=2\nA_B=x y=z\nbad-name=3\n# C=4\nLAST='no newline'");
    const r = spawnSync("sh", ["-c", `${ENV_HASHES} ${file}`], { encoding: "utf8" });
    rmSync(dir, { recursive: true, force: true });
    const sha = (line: string) => createHash("sha256").update(line).digest("hex");
    expect(r.stdout).toBe(
      `lago:envhash FOO ${sha("FOO=1")}\nlago:envhash A_B ${sha("A_B=x y=z")}\n` +
        `lago:envhash LAST ${sha("LAST='no newline'")}\n`,
    );
  });
});
