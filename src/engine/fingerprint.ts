/**
 * A plan's fingerprint: a hash of what the probe saw and of the steps the plan would run (file
 * contents only as hashes). A saved plan stores fingerprints, never contents, so no secret reaches
 * plan.json; re-planning later and comparing fingerprints tells whether the host drifted.
 */
import { createHash } from "node:crypto";
import { describeStep } from "../modules/describe.ts";
import type { Plan, Step } from "../modules/types.ts";

const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

function stepDigest(step: Step): string {
  const described = describeStep(step);
  if (step.kind === "write") return `${described} ${sha256(step.content)}`;
  if (step.kind === "exec" && step.stdin !== undefined) return `${described} ${sha256(step.stdin)}`;
  return described;
}

export function planFingerprint(facts: unknown, plan: Plan): string {
  return sha256(JSON.stringify({
    facts: facts === undefined ? null : facts,
    changed: plan.changed,
    steps: plan.steps.map(stepDigest),
  }, (_k, v) => (v instanceof Uint8Array ? sha256(v) : v)));
}
