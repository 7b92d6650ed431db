/**
 * A host as the engine sees it: a connection plus privilege escalation. It frames each command (data)
 * for one round trip, under sudo when `become` asks for it, and executes the steps a module planned.
 * Modules never see this; they only return steps. Scripts and file contents travel on stdin, checked
 * on the host before anything acts on them (`./frame.ts`): no secret is ever in a host's argument
 * vectors, and a cut-off transfer changes nothing.
 *
 * Probes can be fetched ahead, many in one round trip (`prefetch`): a task then finds its answer
 * here instead of asking the host. An answer is used only while nothing else has run on the host
 * since it was read (any step, write or state file update drops them all), so a task never sees
 * state from before an earlier task's change.
 */
import { Buffer } from "node:buffer";
import { type Command, render } from "../core/command.ts";
import type { Connection, ExecResult } from "../core/types.ts";
import type { Probe, Step } from "../modules/types.ts";
import { batchScript, commandFrame, frame, type Framed, writeFrame } from "./frame.ts";

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
  /** Probe answers read ahead by `prefetch`, by privilege and script; cleared when anything else runs. */
  private prefetched = new Map<string, ExecResult>();
  /** Runs once before the next step, then is forgotten (`beforeChange`). */
  private before?: () => Promise<void>;

  /** `signal`: once aborted (SIGINT/SIGTERM), a wait step stops polling (it changes nothing). */
  constructor(readonly connection: Connection, readonly loginUser: string, private signal?: AbortSignal) {}

  /** The user to sudo to, or undefined when the login user runs it. */
  private sudoUser(privilege: Privilege): string | undefined {
    return privilege.become && privilege.becomeUser !== this.loginUser ? privilege.becomeUser : undefined;
  }

  /**
   * Run a command that may change the host (its input, if any, on stdin), to its end even if this
   * controller goes away meanwhile. Anything but a probe may change the host: read-ahead answers go.
   */
  async run(
    command: Command | string,
    privilege: Privilege,
    stdin?: string | Uint8Array,
  ): Promise<ExecResult> {
    this.prefetched.clear();
    return await this.send(commandFrame(text(command), stdin, this.sudoUser(privilege)));
  }

  /**
   * Run a command that changes only lago-provision's own fleet lock on the host, which no task's probe
   * reads: the answers read ahead stay (a lock renewal in the middle of a long run must not make every
   * later task probe on its own).
   */
  async runAside(command: Command | string, privilege: Privilege): Promise<ExecResult> {
    return await this.send(commandFrame(text(command), undefined, this.sudoUser(privilege)));
  }

  private async send(framed: Framed): Promise<ExecResult> {
    return this.checked(await this.connection.exec(framed.command, { stdin: framed.stdin }));
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

  private probeFrame(command: Command, privilege: Privilege): { key: string; framed: Framed } {
    const script = render(command);
    const sudoUser = this.sudoUser(privilege);
    return { key: `${sudoUser ?? ""}\n${script}`, framed: frame(script, { sudoUser }) };
  }

  /**
   * A task's probe: the answer read ahead when there is one, else one round trip. `fresh` always asks
   * the host (wait steps poll for a change).
   */
  async probe<F>(probe: Probe<F>, privilege: Privilege, fresh = false): Promise<F> {
    const { key, framed } = this.probeFrame(probe.command, privilege);
    const ahead = fresh ? undefined : this.prefetched.get(key);
    return probe.parse(ahead ? this.checked(ahead) : await this.send(framed));
  }

  /**
   * Runs many probes in one round trip and keeps their answers for `probe`. Each probe runs exactly as
   * it would alone (same frame, stdin empty after its script). A batch that fails leaves nothing
   * behind: the tasks then probe one by one, as without it.
   */
  async prefetch(probes: { command: Command; privilege: Privilege }[]): Promise<void> {
    const unique = this.unread(probes);
    // One probe alone is one round trip either way.
    if (unique.size < 2) return;
    const batch = frame(batchScript([...unique.values()]));
    const result = await this.connection.exec(batch.command, { stdin: batch.stdin });
    const keys = [...unique.keys()];
    const answers = parseBatch(result.stdout, keys.length);
    answers.forEach((answer, i) => answer && this.prefetched.set(keys[i], answer));
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
    const unique = this.unread(probes);
    if (unique.size === 0) return await this.run(command, privilege);
    const first = commandFrame(text(command), undefined, this.sudoUser(privilege));
    const batch = frame(batchScript([first, ...unique.values()]));
    const result = await this.connection.exec(batch.command, { stdin: batch.stdin });
    const keys = [...unique.keys()];
    const [ran, ...answers] = parseBatch(result.stdout, keys.length + 1);
    if (!ran) return await this.run(command, privilege);
    answers.forEach((answer, i) => answer && this.prefetched.set(keys[i], answer));
    return this.checked(ran);
  }

  /** The probes' frames by key, without the ones already read ahead. */
  private unread(probes: { command: Command; privilege: Privilege }[]): Map<string, Framed> {
    const unique = new Map<string, Framed>();
    for (const p of probes) {
      const { key, framed } = this.probeFrame(p.command, p.privilege);
      if (!this.prefetched.has(key)) unique.set(key, framed);
    }
    return unique;
  }

  /** `fn` runs once before the next step applied on this host (undefined: forget it). */
  beforeChange(fn: (() => Promise<void>) | undefined): void {
    this.before = fn;
  }

  /** Execute one planned step. Returns the output of exec steps (for `register`). */
  async apply(step: Step, privilege: Privilege): Promise<ExecResult | null> {
    const before = this.before;
    this.before = undefined;
    await before?.();
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
        this.prefetched.clear();
        const result = await this.send(writeFrame(step, this.sudoUser(privilege)));
        if (result.exitCode !== 0) {
          throw new StepFailed(`cannot write ${step.path}: ${lastLines(result.stderr)}`, result);
        }
        return null;
      }
      case "wait": {
        const deadline = Date.now() + step.timeoutSec * 1000;
        for (;;) {
          if (await this.probe(step.probe, privilege, true)) return null;
          if (this.signal?.aborted) {
            throw new StepFailed(`interrupted (${this.signal.reason}) while waiting for ${step.what}`, {
              exitCode: 1,
              stdout: "",
              stderr: "",
            });
          }
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

const text = (command: Command | string) => typeof command === "string" ? command : render(command);

function lastLines(text: string, n = 5): string {
  return text.trim().split("\n").slice(-n).join("\n");
}
