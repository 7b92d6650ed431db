/**
 * A host as the engine sees it: a connection plus privilege escalation. It renders commands (data)
 * into one script per round trip, wraps it in sudo when `become` asks for it, and executes the steps
 * a module planned. Modules never see this; they only return steps.
 *
 * Probes can be fetched ahead, many in one round trip (`prefetch`): a task then finds its answer
 * here instead of asking the host. An answer is used only while nothing else has run on the host
 * since it was read (any step, write or state file update drops them all), so a task never sees
 * state from before an earlier task's change.
 */
import { Buffer } from "node:buffer";
import { type Command, quote, render } from "../core/command.ts";
import type { Connection, ExecResult } from "../core/types.ts";
import type { Probe, Step } from "../modules/types.ts";

export interface Privilege {
  become: boolean;
  becomeUser: string;
}

export class StepFailed extends Error {
  constructor(message: string, readonly result: ExecResult) {
    super(message);
  }
}

export class Remote {
  /** `once` keys of steps already run on this host in this run (apt-get update at most once). */
  private onceDone = new Set<string>();
  /** Probe answers read ahead by `prefetch`, by the exact script; cleared when anything else runs. */
  private prefetched = new Map<string, ExecResult>();

  constructor(readonly connection: Connection, readonly loginUser: string) {}

  /** The script actually sent: POSIX sh with LC_ALL=C, under sudo when escalating. */
  wrap(script: string, privilege: Privilege): string {
    const body = `export LC_ALL=C; ${script}`;
    if (privilege.become && privilege.becomeUser !== this.loginUser) {
      return `sudo -n -H -u ${quote(privilege.becomeUser)} -- sh -c ${quote(body)}`;
    }
    return `sh -c ${quote(body)}`;
  }

  /** Run a command on the host. Anything but a probe may change the host: read-ahead answers go. */
  async run(
    command: Command | string,
    privilege: Privilege,
    stdin?: string | Uint8Array,
  ): Promise<ExecResult> {
    this.prefetched.clear();
    return this.checked(await this.connection.exec(this.script(command, privilege), { stdin }));
  }

  private script(command: Command | string, privilege: Privilege): string {
    return this.wrap(typeof command === "string" ? command : render(command), privilege);
  }

  private checked(result: ExecResult): ExecResult {
    if (
      result.exitCode === 1 && /sudo: (a password is required|a terminal is required)/.test(result.stderr)
    ) {
      throw new StepFailed(
        `become: sudo on ${this.connection.name} needs a password; give ${this.loginUser} passwordless sudo (NOPASSWD)`,
        result,
      );
    }
    return result;
  }

  /**
   * A task's probe: the answer read ahead when there is one, else one round trip. `fresh` always asks
   * the host (wait steps poll for a change).
   */
  async probe<F>(probe: Probe<F>, privilege: Privilege, fresh = false): Promise<F> {
    const script = this.script(probe.command, privilege);
    const ahead = fresh ? undefined : this.prefetched.get(script);
    return probe.parse(this.checked(ahead ?? await this.connection.exec(script)));
  }

  /**
   * Runs many probes in one round trip and keeps their answers for `probe`. Each probe runs exactly as
   * it would alone (same wrapper, stdin empty); the batch script goes on stdin, so its size is not
   * bound by the argument length limit. A batch that fails leaves nothing behind: the tasks then
   * probe one by one, as without it.
   */
  async prefetch(probes: { command: Command; privilege: Privilege }[]): Promise<void> {
    const scripts = this.unread(probes);
    // One probe alone is one round trip either way.
    if (scripts.length < 2) return;
    const result = await this.connection.exec("sh -s", { stdin: batchScript(scripts) });
    const answers = parseBatch(result.stdout, scripts.length);
    answers.forEach((answer, i) => answer && this.prefetched.set(scripts[i], answer));
  }

  /**
   * Runs a command that may change the host (the fleet lock), then reads probes, in one round trip:
   * the command's result, and the probes' answers kept for `probe` (read after the command, so they
   * see what it did). Without probes, or when the batch comes back garbled, the command runs alone.
   */
  async runThenPrefetch(
    command: Command | string,
    privilege: Privilege,
    probes: { command: Command; privilege: Privilege }[],
  ): Promise<ExecResult> {
    this.prefetched.clear();
    const scripts = this.unread(probes);
    if (scripts.length === 0) return await this.run(command, privilege);
    const all = [this.script(command, privilege), ...scripts];
    const result = await this.connection.exec("sh -s", { stdin: batchScript(all) });
    const [first, ...answers] = parseBatch(result.stdout, all.length);
    if (!first) return await this.run(command, privilege);
    answers.forEach((answer, i) => answer && this.prefetched.set(scripts[i], answer));
    return this.checked(first);
  }

  /** The probes' scripts as sent, without the ones already read ahead. */
  private unread(probes: { command: Command; privilege: Privilege }[]): string[] {
    return [...new Set(probes.map((p) => this.script(p.command, p.privilege)))]
      .filter((s) => !this.prefetched.has(s));
  }

  /** Execute one planned step. Returns the output of exec steps (for `register`). */
  async apply(step: Step, privilege: Privilege): Promise<ExecResult | null> {
    switch (step.kind) {
      case "exec": {
        if (step.once) {
          if (this.onceDone.has(step.once)) return null;
        }
        const result = await this.run(step.command, privilege, step.stdin);
        const ok = step.okCodes === "any" || (step.okCodes ?? [0]).includes(result.exitCode);
        if (!ok) {
          throw new StepFailed(
            `command failed (exit ${result.exitCode}): ${render(step.command)}\n${
              lastLines(result.stderr || result.stdout)
            }`,
            result,
          );
        }
        if (step.once) this.onceDone.add(step.once);
        return result;
      }
      case "write": {
        const result = await this.run(atomicWriteScript(step), privilege, step.content);
        if (result.exitCode !== 0) {
          throw new StepFailed(`cannot write ${step.path}: ${lastLines(result.stderr)}`, result);
        }
        return null;
      }
      case "wait": {
        const deadline = Date.now() + step.timeoutSec * 1000;
        for (;;) {
          if (await this.probe(step.probe, privilege, true)) return null;
          if (Date.now() >= deadline) {
            throw new StepFailed(`timed out after ${step.timeoutSec}s waiting for ${step.what}`, {
              exitCode: 1,
              stdout: "",
              stderr: "",
            });
          }
          await new Promise((r) => setTimeout(r, step.intervalSec * 1000));
        }
      }
    }
  }
}

/**
 * Write stdin to a temp file beside the target, give it the requested (or the existing file's) mode
 * and owner, then rename over the target: a reader never sees a half-written file, and a dropped
 * connection leaves the old file intact.
 */
export function atomicWriteScript(step: Extract<Step, { kind: "write" }>): string {
  const path = quote(step.path);
  const lines = [
    "set -e",
    `dir=$(dirname ${path})`,
    `tmp=$(mktemp "$dir/.lago-provision.XXXXXX")`,
    `trap 'rm -f "$tmp"' EXIT`,
    `cat > "$tmp"`,
    `if [ -e ${path} ]; then chmod --reference=${path} "$tmp"; chown --reference=${path} "$tmp"; else chmod 0644 "$tmp"; fi`,
  ];
  if (step.mode) lines.push(`chmod ${quote(step.mode)} "$tmp"`);
  if (step.owner || step.group) {
    lines.push(`chown ${quote(`${step.owner ?? ""}${step.group ? ":" + step.group : ""}`)} "$tmp"`);
  }
  lines.push(`mv -f "$tmp" ${path}`, "trap - EXIT");
  return lines.join("\n");
}

/**
 * Runs each script in a subshell with stdin from /dev/null, its output and errors in temp files, then prints one
 * line per script: `lago:probe:INDEX:EXIT:STDOUT:STDERR`, the outputs in base64 (byte-exact, no colon).
 */
export function batchScript(scripts: string[]): string {
  return [
    "export LC_ALL=C",
    `d=$(mktemp -d) || exit 1`,
    `trap 'rm -rf "$d"' EXIT`,
    // A subshell each, so that not even an `exit` in one ends the batch.
    ...scripts.map((script, i) =>
      `(\n${script}\n) </dev/null >"$d/o" 2>"$d/e"; printf 'lago:probe:${i}:%s:' $?; ` +
      `base64 -w0 "$d/o"; printf ':'; base64 -w0 "$d/e"; echo`
    ),
  ].join("\n") + "\n";
}

/** The answers of a batch by index; a missing or garbled line leaves a hole (that probe runs alone). */
export function parseBatch(stdout: string, count: number): (ExecResult | undefined)[] {
  const answers = new Array<ExecResult | undefined>(count);
  const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");
  for (const line of stdout.split("\n")) {
    const m = /^lago:probe:(\d+):(\d+):([A-Za-z0-9+/=]*):([A-Za-z0-9+/=]*)$/.exec(line);
    if (!m || Number(m[1]) >= count) continue;
    answers[Number(m[1])] = { exitCode: Number(m[2]), stdout: decode(m[3]), stderr: decode(m[4]) };
  }
  return answers;
}

function lastLines(text: string, n = 5): string {
  return text.trim().split("\n").slice(-n).join("\n");
}
