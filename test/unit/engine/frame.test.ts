/**
 * Frames (src/engine/frame.ts) run by the real shells of Debian hosts, dash (its /bin/sh) and bash:
 * the script runs exactly as sent or not at all, data is committed only when all of it came, whatever
 * byte the input is cut at, and a command step runs to its end when the controller is gone.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  batchScript,
  bootstrap,
  commandFrame,
  DATA_CUT_SHORT,
  frame,
  type Framed,
  SCRIPT_CUT_SHORT,
  tempPrefix,
  writeFrame,
} from "../../../src/engine/frame.ts";
import { parseBatch } from "../../../src/engine/remote.ts";
import { render } from "../../../src/core/command.ts";
import { bashLine } from "../../../src/modules/command.ts";

const SHELLS = ["dash", "bash"] as const;
type Shell = (typeof SHELLS)[number];

interface Ran {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a framed command with `shell` as the host's sh, its stdin cut after `cut` bytes (as when the
 * controller dies). `closeOutput`: the reader of stdout and stderr goes away at once (a dead controller).
 */
function run(f: Framed, shell: Shell, opts: { cut?: number; closeOutput?: boolean } = {}): Promise<Ran> {
  const command = f.command.replaceAll("sh -c ", `${shell} -c `);
  return new Promise((resolve, reject) => {
    const child = spawn(shell, ["-c", command], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    if (opts.closeOutput) {
      child.stdout.destroy();
      child.stderr.destroy();
    } else {
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
    }
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ exitCode: code ?? (signal ? 128 : 255), stdout, stderr }));
    child.stdin.on("error", () => {});
    child.stdin.end(f.stdin.subarray(0, opts.cut ?? f.stdin.length));
  });
}

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lago-frame-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Where a cut can fall: nothing sent, inside the script, at its end, inside the data, one byte short. */
function cuts(f: Framed, scriptBytes: number): number[] {
  const total = f.stdin.length;
  const points = [0, 1, scriptBytes >> 1, scriptBytes - 1, scriptBytes, scriptBytes + 1];
  if (total > scriptBytes) points.push(scriptBytes + ((total - scriptBytes) >> 1), total - 1);
  return [...new Set(points.filter((n) => n >= 0 && n < total))];
}

const scriptBytes = (f: Framed) => Number(/head -c (\d+)/.exec(f.command)![1]);

describe.each(SHELLS)("under %s", (shell) => {
  describe("bootstrap", () => {
    it.each([
      ["plain", "echo hello; echo oops >&2; exit 3", { exitCode: 3, stdout: "hello\n", stderr: "oops\n" }],
      ["UTF-8 counted as bytes", "printf 'é ü ✓'", { exitCode: 0, stdout: "é ü ✓", stderr: "" }],
      ["quotes and expansions", `x='a b'; printf '%s|' "$x" "\${x%b}" '$HOME'`, {
        exitCode: 0,
        stdout: "a b|a |$HOME|",
        stderr: "",
      }],
      ["stdin after the script is empty", "cat; echo end", { exitCode: 0, stdout: "end\n", stderr: "" }],
      ["a script that ends with newlines", "echo x\n\n\n", { exitCode: 0, stdout: "x\n", stderr: "" }],
    ])("runs a script exactly as sent: %s", async (_name, script, expected) => {
      expect(await run(frame(script), shell)).toEqual(expected);
    });

    it("leaves the data after the script on stdin, byte for byte", async () => {
      const data = new Uint8Array([0, 10, 255, 39, 34, 10, 10]);
      const r = await run(frame("od -An -tu1 -v", { data }), shell);
      expect(r.stdout.trim().split(/\s+/).map(Number)).toEqual([...data]);
    });

    it("runs nothing of a script cut short, wherever the cut falls", async () => {
      const marker = join(dir, "ran");
      const f = frame(`touch ${marker}\n${"# padding\n".repeat(20)}echo done`);
      for (const cut of cuts(f, scriptBytes(f))) {
        const r = await run(f, shell, { cut });
        expect(r.exitCode, `cut at ${cut}`).toBe(SCRIPT_CUT_SHORT);
        expect(r.stderr).toMatch(/cut short; nothing was run/);
        expect(existsSync(marker), `cut at ${cut}`).toBe(false);
      }
    });
  });

  describe("write", () => {
    const target = () => join(dir, "target.txt");
    const step = (content: Uint8Array | string, extra: Record<string, string> = {}) => ({
      kind: "write" as const,
      path: target(),
      content,
      ...extra,
    });
    const leftovers = () => readdirSync(dir).filter((n) => n.startsWith(".lago-provision"));

    it.each([
      ["empty", ""],
      ["text", "NAME='value'\nOTHER=$HOME `x`\n"],
      ["binary with NUL bytes and trailing newlines", new Uint8Array([0, 1, 2, 0, 10, 10])],
      ["256 KiB of random bytes", new Uint8Array(randomBytes(256 * 1024))],
    ])("installs %s content when all of it came", async (_name, content) => {
      writeFileSync(target(), "old\n");
      const r = await run(writeFrame(step(content, { mode: "0640" })), shell);
      expect(r, r.stderr).toMatchObject({ exitCode: 0 });
      const want = typeof content === "string" ? Buffer.from(content) : Buffer.from(content);
      expect(readFileSync(target()).equals(want)).toBe(true);
      expect(statSync(target()).mode & 0o777).toBe(0o640);
      expect(leftovers()).toEqual([]);
    });

    it.each([
      ["a file that exists", "old content\n"],
      ["a file that does not exist yet", undefined],
    ])("cut short anywhere, leaves %s as it was and no temp file", async (_name, old) => {
      const content = new Uint8Array(randomBytes(64 * 1024));
      const f = writeFrame(step(content));
      for (const cut of cuts(f, scriptBytes(f))) {
        if (old === undefined) rmSync(target(), { force: true });
        else writeFileSync(target(), old);
        const r = await run(f, shell, { cut });
        expect(r.exitCode, `cut at ${cut}`).toBe(cut < scriptBytes(f) ? SCRIPT_CUT_SHORT : DATA_CUT_SHORT);
        if (old === undefined) expect(existsSync(target()), `cut at ${cut}`).toBe(false);
        else expect(readFileSync(target(), "utf8"), `cut at ${cut}`).toBe(old);
        expect(leftovers(), `cut at ${cut}`).toEqual([]);
      }
    });

    it("says the data was cut short and how much came", async () => {
      const f = writeFrame(step("0123456789"));
      const r = await run(f, shell, { cut: scriptBytes(f) + 4 });
      expect(r.stderr).toMatch(/received 4 of 10 bytes \(input cut short\); nothing was changed/);
    });

    it("keeps the old file's mode when none is asked for; 0644 for a new one", async () => {
      writeFileSync(target(), "old\n");
      chmodSync(target(), 0o600);
      await run(writeFrame(step("new\n")), shell);
      expect(statSync(target()).mode & 0o777).toBe(0o600);
      rmSync(target());
      await run(writeFrame(step("new\n")), shell);
      expect(statSync(target()).mode & 0o777).toBe(0o644);
    });

    it("removes what an earlier write to the same path left, and only that", async () => {
      const stale = join(dir, `${tempPrefix(target())}Ab12Cd`);
      const other = join(dir, `${tempPrefix(join(dir, "other"))}Ab12Cd`);
      writeFileSync(stale, "half");
      writeFileSync(other, "someone else's");
      await run(writeFrame(step("new\n")), shell);
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(other)).toBe(true);
    });

    it("fails with one line naming a missing directory, and creates nothing", async () => {
      const f = writeFrame({ kind: "write", path: join(dir, "nope", "file"), content: "x" });
      const r = await run(f, shell);
      expect(r.exitCode).toBe(1);
      expect(r.stderr.trim()).toBe(`directory ${join(dir, "nope")} does not exist`);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  describe("command step", () => {
    it("gives the command's output, errors and exit code", async () => {
      const r = await run(commandFrame("echo out; echo err >&2; exit 4"), shell);
      expect(r).toEqual({ exitCode: 4, stdout: "out\n", stderr: "err\n" });
    });

    it("gives the command its input byte for byte, and an empty stdin when it has none", async () => {
      const input = new Uint8Array([0, 255, 10, 10]);
      const r = await run(commandFrame("od -An -tu1 -v", input), shell);
      expect(r.stdout.trim().split(/\s+/).map(Number)).toEqual([...input]);
      expect((await run(commandFrame("wc -c"), shell)).stdout.trim()).toBe("0");
    });

    it("never runs a command on input cut short", async () => {
      const out = join(dir, "got");
      const f = commandFrame(`cat > ${out}`, "line one\nline two\n".repeat(100));
      for (const cut of cuts(f, scriptBytes(f))) {
        const r = await run(f, shell, { cut });
        expect([SCRIPT_CUT_SHORT, DATA_CUT_SHORT], `cut at ${cut}`).toContain(r.exitCode);
        expect(existsSync(out), `cut at ${cut}`).toBe(false);
      }
    });

    it("runs to its end when the controller stops reading its output", async () => {
      const marker = join(dir, "finished");
      // printf is a builtin: written to a closed pipe, it takes the shell down unless the output is staged.
      const body = `i=0; while [ $i -lt 2000 ]; do printf 'line %s\\n' $i; i=$((i+1)); done; touch ${marker}`;
      await run(commandFrame(body), shell, { closeOutput: true });
      expect(existsSync(marker)).toBe(true);
      // The same body sent bare dies on its first write: the test above can fail.
      rmSync(marker, { force: true });
      await run(frame(body), shell, { closeOutput: true });
      expect(existsSync(marker)).toBe(false);
    });

    it("runs a shell task's line in bash, with the task's stdin", async () => {
      const line = `read x; [[ $x == h* ]] && echo "got $x"; cat <<LAGO_SHELL\nhere\nLAGO_SHELL\nexit 3`;
      const r = await run(commandFrame(render(bashLine(line)), "hello\n"), shell);
      expect(r).toEqual({ exitCode: 3, stdout: "got hello\nhere\n", stderr: "" });
    });

    it("leaves no temporary directory behind", async () => {
      const tmp = mkdtempSync(join(tmpdir(), "lago-frame-tmp-"));
      const f = commandFrame("echo hi", "input");
      const withTmp: Framed = { ...f, command: `TMPDIR=${tmp} ${f.command}` };
      await run(withTmp, shell);
      await run(withTmp, shell, { cut: f.stdin.length - 1 });
      expect(readdirSync(tmp)).toEqual([]);
      rmSync(tmp, { recursive: true });
    });
  });

  describe("probe batch", () => {
    const scripts = [
      "printf 'two lines\\n\\n'",
      "printf 'é ü ✓'; echo to-stderr >&2; exit 3",
      "true",
      "head -c 3 /dev/zero",
      `printf "%s" "a:b=c/d+e"`,
      "cat", // stdin is empty, as for a probe sent alone
      "exit 7",
    ];

    it("gives each probe exactly what running it alone gives", async () => {
      const probes = scripts.map((s) => frame(s));
      const batch = await run(frame(batchScript(probes)), shell);
      const answers = parseBatch(batch.stdout, scripts.length);
      for (const [i, probe] of probes.entries()) {
        expect(answers[i], scripts[i]).toEqual(await run(probe, shell));
      }
    });
  });
});

describe("what reaches the host's argument vectors", () => {
  const secret = "pa$$w0rd-'quoted'-SECRET";
  it.each([
    ["a script", frame(`echo ${secret}`)],
    ["a script under sudo", frame(`echo ${secret}`, { sudoUser: "root" })],
    ["a command step with input", commandFrame(`psql -c "ALTER ROLE x PASSWORD '${secret}'"`, secret)],
    ["a write", writeFrame({ kind: "write", path: "/etc/x", content: secret })],
    ["a probe batch", frame(batchScript([frame(`test ${secret}`, { sudoUser: "deploy" })]))],
  ])("%s: only a bootstrap with a byte count", (_name, f) => {
    expect(f.command).not.toContain("SECRET");
    expect(f.command).toMatch(
      /^(sudo -n -H -u \S+ -- )?sh -c 'export LC_ALL=C; lago_s=\$\(head -c \d+; echo \.\)/,
    );
    expect(new TextDecoder().decode(f.stdin)).toContain("SECRET");
  });

  it("the bootstrap depends on nothing but the length", () => {
    expect(bootstrap(12)).toBe(bootstrap(12));
    expect(frame("a").command).toBe(frame("b").command);
  });
});
