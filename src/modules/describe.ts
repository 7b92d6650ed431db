/** One-line text for a step: used by --json reports, verbose output and the module fixture tests. */
import { render } from "../core/command.ts";
import type { Step } from "./types.ts";

export function describeStep(step: Step): string {
  switch (step.kind) {
    case "exec":
      return render(step.command) + (step.stdin !== undefined ? " <stdin>" : "");
    case "write": {
      const attrs = [
        step.mode && `mode=${step.mode}`,
        step.owner && `owner=${step.owner}`,
        step.group && `group=${step.group}`,
      ].filter(Boolean);
      return `write ${step.path}${attrs.length ? " " + attrs.join(" ") : ""}`;
    }
    case "wait":
      return `wait ${step.what} (timeout ${step.timeoutSec}s)`;
  }
}
