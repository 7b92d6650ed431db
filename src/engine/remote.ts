/**
 * A host as the engine sees it: a connection plus privilege escalation. It renders commands (data)
 * into one script per round trip, wraps it in sudo when `become` asks for it, and executes the steps
 * a module planned. Modules never see this; they only return steps.
 */
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

  constructor(readonly connection: Connection, readonly loginUser: string) {}

  /** The script actually sent: POSIX sh with LC_ALL=C, under sudo when escalating. */
  wrap(script: string, privilege: Privilege): string {
    const body = `export LC_ALL=C; ${script}`;
    if (privilege.become && privilege.becomeUser !== this.loginUser) {
      return `sudo -n -H -u ${quote(privilege.becomeUser)} -- sh -c ${quote(body)}`;
    }
    return `sh -c ${quote(body)}`;
  }

  async run(
    command: Command | string,
    privilege: Privilege,
    stdin?: string | Uint8Array,
  ): Promise<ExecResult> {
    const script = typeof command === "string" ? command : render(command);
    const result = await this.connection.exec(this.wrap(script, privilege), { stdin });
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

  async probe<F>(probe: Probe<F>, privilege: Privilege): Promise<F> {
    return probe.parse(await this.run(probe.command, privilege));
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
          if (await this.probe(step.probe, privilege)) return null;
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

function lastLines(text: string, n = 5): string {
  return text.trim().split("\n").slice(-n).join("\n");
}
