/**
 * lago_secrets: the installation's secrets, the same on every host (docs/secrets.md). The values live
 * in the encrypted store on the control machine (src/secrets/store.ts), which the secrets stage opens
 * before the play and, in apply, completes with what no host holds yet (src/session/secrets-stage.ts):
 * the plan reads the store from `ctx.secrets`, never prompts and never writes it. The host gets the
 * values in one 0600 file. The probe reads only sha256 hashes of what the host already has (in `dest`
 * and the `adopt_from` files); the plan compares them with the store:
 *
 * | store           | host                          | plan                                            |
 * | --------------- | ----------------------------- | ----------------------------------------------- |
 * | has the value   | same value, dest up to date   | nothing to do                                   |
 * | has the value   | nothing, or dest incomplete   | write dest (0600, sensitive diff)               |
 * | has the value   | a different value             | fail: never overwrite; import or fix the host   |
 * | lacks the value | has a value                   | fail: `secrets import --from HOST` first        |
 * | lacks the value | nothing (or a placeholder)    | write dest once the stage has generated it      |
 *
 * There is no rotate option, on purpose: a new encryption key makes what Lago encrypted with the old
 * one unreadable, a new SECRET_KEY_BASE logs everyone out, a new RSA key breaks webhook signatures.
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { z } from "zod";
import { UserError } from "../core/errors.ts";
import { CORE_SECRETS, SECRET_NAME, shortHash } from "../secrets/formats.ts";
import {
  DEFAULT_DEST,
  type HostSecretFiles,
  parseSecretFiles,
  readSecretsCommand,
  UPSTREAM_ENV,
} from "../secrets/host-files.ts";
import { STORE_VAR, storePath } from "../secrets/location.ts";
import { type Conflict, reconcile, type Reconciliation } from "../secrets/reconcile.ts";
import { absPath, plural, probeFailed } from "./_util.ts";
import { defineModule, type ModuleContext, type ModuleDefinition, type Plan, unchanged } from "./types.ts";

const lagoSecretsArgs = z.object({
  dest: absPath().default(DEFAULT_DEST).describe(
    "The file on the host that receives the secrets as NAME=value lines (root, mode 0600).",
  ),
  names: z.array(
    z.string().regex(SECRET_NAME, { error: "should be an environment variable name like POSTGRES_PASSWORD" }),
  ).default([]).describe(
    "Secrets to manage besides Lago's five (e.g. POSTGRES_PASSWORD, REDIS_PASSWORD); generated as 32 letters and digits.",
  ),
  adopt_from: z.array(absPath()).optional().describe(
    "Files on the host whose existing values must be kept (they have to match the store, or be imported with `lago-provision secrets import`). Default: /opt/lago/.env and dest.",
  ),
  store: z.string().min(1).optional().describe(
    `The encrypted secrets store on the control machine. Default: the ${STORE_VAR} variable, else lago-secrets.enc beside the inventory (relative paths are from the inventory's folder).`,
  ),
}).strict();
export type LagoSecretsArgs = z.infer<typeof lagoSecretsArgs>;

const managedNames = (a: LagoSecretsArgs): string[] => [...new Set([...CORE_SECRETS, ...a.names])];
const filesOf = (
  a: LagoSecretsArgs,
): string[] => [...new Set([a.dest, ...(a.adopt_from ?? [UPSTREAM_ENV, a.dest])])];

/** What one lago_secrets task keeps where: the same for the module and the secrets stage. */
export interface SecretsTarget {
  /** The store's absolute path. */
  store: string;
  /** The five and the task's `names`. */
  names: string[];
  /** The host files read: dest first, then adopt_from. */
  files: string[];
}

/**
 * The task's store, names and files. `optionalVar(name)` renders a variable the engine may or may not
 * provide, "" when it does not (`lago_secrets_file`, `inventory_dir`).
 */
export function secretsTarget(a: LagoSecretsArgs, optionalVar: (name: string) => string): SecretsTarget {
  const store = storePath(
    a.store ?? (optionalVar(STORE_VAR) || undefined),
    optionalVar("inventory_dir") || undefined,
  );
  return { store, names: managedNames(a), files: filesOf(a) };
}

/** A variable the engine may or may not provide (strict templates: `default` is the way to ask). */
const optionalVar = (ctx: ModuleContext, name: string): string =>
  ctx.renderTemplate(`{{default ${name} ""}}`, `lago_secrets ${name}`);

/** The dest file: header, then NAME=value in a fixed order (values are one line, no quoting needed). */
export function renderSecretsEnv(values: Record<string, string>, names: string[]): string {
  const header =
    "# Lago secrets, written by lago-provision (lago_secrets). Never edit or rotate them: see docs/secrets.md\n";
  return header + names.map((n) => `${n}=${values[n]}\n`).join("");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

interface Where {
  host: string;
  store: string;
  inventory: string;
}

function describeConflict(c: Conflict, store: string): string {
  return c.otherPath
    ? `${c.name} differs between ${c.otherPath} and ${c.path} (sha256 ${shortHash(c.store)} vs ${
      shortHash(c.host)
    })`
    : `${c.name} in ${c.path} differs from the secrets store ${store} (sha256 on the host ${
      shortHash(c.host)
    }, in the store ${shortHash(c.store)})`;
}

function refuse(r: Reconciliation, w: Where, storeMissing: boolean): never {
  if (r.conflicts.length > 0) {
    throw new UserError(
      `${w.host}: ${r.conflicts.map((c) => describeConflict(c, w.store)).join("; ")}; nothing was changed`,
      `secrets are never overwritten, as data encrypted with one value cannot be read with another (docs/secrets.md). ` +
        `If the host's values are the installation's real ones, move ${w.store} aside and run ` +
        `\`lago-provision secrets import ${w.inventory} --from ${w.host}\`; otherwise restore the host's file. ` +
        `\`lago-provision secrets status ${w.inventory}\` shows which hosts agree`,
    );
  }
  const byFile = new Map<string, string[]>();
  for (const h of r.hostOnly) for (const p of h.paths) byFile.set(p, [...(byFile.get(p) ?? []), h.name]);
  const held = [...byFile].map(([path, names]) => `${path}: ${names.join(", ")}`).join("; ");
  const importHint =
    `adopt them with \`lago-provision secrets import ${w.inventory} --from ${w.host}\`, then run again`;
  if (storeMissing) {
    throw new UserError(
      `${w.host} already has Lago secrets (${held}) but the secrets store ${w.store} does not exist; nothing was changed`,
      `new secrets would make the data encrypted with the host's ones unreadable: ${importHint}`,
    );
  }
  throw new UserError(
    `${w.host} has secrets the store ${w.store} does not hold (${held}); nothing was changed`,
    importHint,
  );
}

function planSecrets(a: LagoSecretsArgs, facts: HostSecretFiles, ctx: ModuleContext): Plan {
  const { store, names } = secretsTarget(a, (name) => optionalVar(ctx, name));
  const where: Where = {
    host: optionalVar(ctx, "inventory_hostname") || ctx.host.hostname,
    store,
    inventory: optionalVar(ctx, "inventory_file") || "INVENTORY",
  };
  const opened = ctx.secrets?.get(store);
  if (!opened) {
    throw new UserError(
      `the secrets store ${store} was not opened before the play`,
      `the secrets stage opens it before any host is changed, from the lago_secrets arguments (store, names, ` +
        `dest, adopt_from) and ${STORE_VAR} as inventory, play, role and -e variables give them: do not ` +
        `make them depend on registered results or facts`,
    );
  }
  const r = reconcile(opened.values, facts.files, names);
  if (r.conflicts.length > 0 || r.hostOnly.length > 0) refuse(r, where, opened.values === null);

  const ignored = r.placeholders.length
    ? ` (placeholders ignored: ${r.placeholders.map((p) => `${p.name} in ${p.path}`).join(", ")})`
    : "";
  if (r.generate.length > 0) {
    // Neither the store nor the host has them: the stage generates them before the play in apply,
    // so this plan is seen only where it did not (check mode). The values (and what later tasks
    // render from them) are known only after apply.
    const unplanned = r.generate.filter((n) => !opened.pending.includes(n));
    if (unplanned.length > 0) {
      throw new UserError(
        `the secrets store ${store} lacks ${unplanned.join(", ")}, which the secrets stage did not generate`,
        `the stage reads the lago_secrets arguments before the play: do not make names depend on registered results or facts`,
      );
    }
    return {
      changed: true,
      reason: `would write ${a.dest} with ${plural(names.length, "secret")}, assuming the secrets stage ` +
        `generates ${r.generate.join(", ")} into ${store} first (apply does, before the play)${ignored}`,
      steps: [],
      diffs: [{ target: a.dest, before: "", after: "", sensitive: true }],
      creates: [a.dest],
      result: { store, dest: a.dest, generated: r.generate },
    };
  }
  const stored = opened.values!;
  const values = Object.fromEntries(names.map((n) => [n, stored[n]]));
  // Later tasks may read every secret of the store (an S3 key `init` put there), not only those the host
  // file gets.
  const result = {
    secrets: { ...stored },
    store,
    dest: a.dest,
    generated: names.filter((n) => opened.generated.includes(n)),
  };

  const content = renderSecretsEnv(values, names);
  const dest = facts.files.find((f) => f.path === a.dest)!;
  const attrs = dest.state === "file" ? `${dest.mode} ${dest.owner}:${dest.group}` : "";
  const sameContent = dest.state === "file" && dest.sha256 === sha256(content);
  if (sameContent && attrs === "0600 root:root") {
    return unchanged(
      `${a.dest} already holds the ${plural(names.length, "secret")} of ${store}${ignored}`,
      result,
    );
  }
  let what: string;
  if (dest.state !== "file") {
    what = `would create ${a.dest} with ${plural(names.length, "secret")} (mode 0600)`;
  } else if (sameContent) what = `would set ${a.dest} to mode 0600 root:root (was ${attrs})`;
  else {
    const lacking = names.filter((n) => dest.values[n] === undefined);
    what = `would rewrite ${a.dest}${lacking.length ? ` (it lacks ${lacking.join(", ")})` : ""}`;
  }
  return {
    changed: true,
    reason: `${what}${ignored}`,
    steps: [
      ...(facts.dirExists ? [] : [{ kind: "exec" as const, command: ["mkdir", "-p", dirname(a.dest)] }]),
      { kind: "write", path: a.dest, content, mode: "0600", owner: "root", group: "root" },
    ],
    diffs: [{ target: a.dest, before: "", after: "", sensitive: true }],
    creates: [a.dest],
    result,
  };
}

export const lagoSecretsModule: ModuleDefinition<LagoSecretsArgs, HostSecretFiles> = defineModule({
  name: "lago_secrets",
  description:
    "Lago's secrets, generated once per installation into an encrypted local store and written to every host (0600); existing host values are kept, conflicts stop the run. Never rotates a key: data encrypted with it would become unreadable.",
  args: lagoSecretsArgs,
  probe: (a) => {
    const files = filesOf(a);
    return {
      command: readSecretsCommand(files, managedNames(a), "hash"),
      parse(r) {
        if (r.exitCode !== 0) throw probeFailed(`lago_secrets ${a.dest}`, r);
        return parseSecretFiles(r, "hash");
      },
    };
  },
  plan: planSecrets,
  // The values exist only after apply when they are still to be generated: in check mode a changed
  // plan leaves `register`ed results unknown, so later templates report "unknown" instead of failing.
  resultFrom: () => ({}),
});
