/**
 * Pure: the fleet-wide secrets decision, made once before a run changes anything (docs/secrets.md,
 * "One set per installation"). Given a store (or its absence) and what every host of the
 * installation holds (sha256 per file, read by host-files.ts), either the names apply generates into
 * the store, or why nothing may be generated or written anywhere:
 *
 * | hosts (for a name the store lacks)            | decision                                         |
 * | --------------------------------------------- | ------------------------------------------------ |
 * | none holds it, every host was read            | generate it                                      |
 * | none holds it, a host could not be read       | refuse: that host may hold the installation's    |
 * | some hold it, all the same value              | refuse: `secrets import --from HOST` first       |
 * | some hold it, with different values           | refuse: name the hosts and keys that differ      |
 *
 * A host that differs from a name the store has is not decided here: the lago_secrets module refuses
 * that host alone (the store is the installation's set, nothing new is made).
 *
 * @example
 * ```ts
 * decideSecrets({ store: "/inv/lago-secrets.enc", values: null, names: ["SECRET_KEY_BASE"],
 *   hosts: [{ name: "web1", files: [] }] }, "inv/prod.yml");
 * // { generate: ["SECRET_KEY_BASE"] }
 * ```
 */
import { quote } from "../core/command.ts";
import { UserError } from "../core/errors.ts";
import { CORE_SECRETS, isPlaceholderHash, KNOWN_EXTRA_SECRETS, shortHash } from "./formats.ts";
import { DEFAULT_DEST, type HostFile, UPSTREAM_ENV } from "./host-files.ts";

export interface SurveyedHost {
  name: string;
  /** What the host's files hold; undefined when they could not be read (see `error`). */
  files?: HostFile[];
  /** Why the host could not be read (unreachable, no sudo). */
  error?: string;
}

export interface StoreSurvey {
  /** The store's path. */
  store: string;
  /** The store's values (name -> value), or null when it does not exist. */
  values: Record<string, string> | null;
  /** Every name the run's lago_secrets tasks keep in this store. */
  names: string[];
  /** Every host of the installation (with --limit, those outside it too), in inventory order. */
  hosts: SurveyedHost[];
}

const NOTHING_DONE = "nothing was generated or written on any host";
/** What `secrets import` reads when not told otherwise (src/commands/secrets.ts). */
const IMPORT_FILES = [DEFAULT_DEST, UPSTREAM_ENV];
const IMPORT_NAMES: readonly string[] = [...CORE_SECRETS, ...KNOWN_EXTRA_SECRETS];

/** One name the store lacks, as the hosts hold it: sha256 -> the hosts (and the files) holding it. */
type Holders = Map<string, { host: string; paths: string[] }[]>;

/** The names to generate, or a UserError naming the hosts that hold what the store lacks. */
export function decideSecrets(s: StoreSurvey, inventory: string): { generate: string[] } {
  const lacking = s.names.filter((n) => s.values?.[n] === undefined);
  const held = new Map<string, Holders>();
  for (const host of s.hosts) {
    for (const name of lacking) {
      for (const file of host.files ?? []) {
        const hash = file.values[name];
        if (hash === undefined || isPlaceholderHash(hash)) continue;
        const byHash: Holders = held.get(name) ?? new Map();
        const entries = byHash.get(hash) ?? [];
        const mine = entries.find((e) => e.host === host.name);
        if (mine) mine.paths.push(file.path);
        else entries.push({ host: host.name, paths: [file.path] });
        byHash.set(hash, entries);
        held.set(name, byHash);
      }
    }
  }
  const split = [...held].filter(([, byHash]) => byHash.size > 1);
  if (split.length > 0) refuseSplit(s, split, inventory);
  if (held.size > 0) refuseHeld(s, held, inventory);
  const unread = s.hosts.filter((h) => h.files === undefined);
  if (lacking.length > 0 && unread.length > 0) refuseUnread(s, lacking, unread, inventory);
  return { generate: lacking };
}

/** Two hosts (or two files of one) hold different values for names the store lacks. */
function refuseSplit(s: StoreSurvey, split: [string, Holders][], inventory: string): never {
  const describe = ([name, byHash]: [string, Holders]) =>
    `${name}: ${
      [...byHash].map(([hash, entries]) =>
        `${entries.map(holderText).join(", ")} (sha256 ${shortHash(hash)})`
      )
        .join(" vs ")
    }`;
  // One import command per set: the first host holding each value of the first name that differs.
  const [, firstSplit] = split[0];
  const choices = [...firstSplit.values()].map((entries) => importCommand(inventory, entries[0], s.names));
  throw new UserError(
    `the hosts hold different Lago secrets, and the secrets store ${s.store} ${
      s.values ? "lacks them" : "does not exist"
    }: ${split.map(describe).join("; ")}; ${NOTHING_DONE}`,
    `find which set the installation's data was encrypted with (\`lago-provision secrets status ${
      quote(inventory)
    }\` shows every host), adopt it with ${
      choices.map((c) => `\`${c}\``).join(" or ")
    }, then fix the hosts that differ (secrets are never overwritten)`,
  );
}

/** Hosts hold values the store lacks (all hosts agree): import them before anything is generated. */
function refuseHeld(s: StoreSurvey, held: Map<string, Holders>, inventory: string): never {
  const holders = new Map<string, { host: string; paths: Set<string>; names: string[] }>();
  for (const [name, byHash] of held) {
    for (const entries of byHash.values()) {
      for (const e of entries) {
        const h = holders.get(e.host) ?? { host: e.host, paths: new Set<string>(), names: [] };
        e.paths.forEach((p) => h.paths.add(p));
        h.names.push(name);
        holders.set(e.host, h);
      }
    }
  }
  const hosts = s.hosts.map((h) => holders.get(h.name)).filter((h) => h !== undefined);
  // The fewest imports that bring every held name: the host holding most first (inventory order on ties).
  const commands: string[] = [];
  const covered = new Set<string>();
  for (const h of [...hosts].sort((a, b) => b.names.length - a.names.length)) {
    if (h.names.every((n) => covered.has(n))) continue;
    h.names.forEach((n) => covered.add(n));
    commands.push(importCommand(inventory, { host: h.host, paths: [...h.paths] }, h.names));
  }
  const who = hosts.map((h) => `${h.host} (${[...h.paths].join(", ")})`).join(", ");
  const verb = hosts.length === 1 ? "holds" : "hold";
  const what = s.values
    ? `${[...held.keys()].join(", ")}, which the secrets store ${s.store} lacks`
    : `Lago secrets but the secrets store ${s.store} does not exist`;
  throw new UserError(
    `${who} already ${verb} ${what}; ${NOTHING_DONE}`,
    `new secrets would give the fleet two sets of keys, and data encrypted with the hosts' ones could not be ` +
      `read: adopt them with ${commands.map((c) => `\`${c}\``).join(", then ")}, then run again`,
  );
}

/** The store lacks names and some host could not be read: it may hold them. */
function refuseUnread(s: StoreSurvey, lacking: string[], unread: SurveyedHost[], inventory: string): never {
  const extra = lacking.filter((n) => !CORE_SECRETS.includes(n as typeof CORE_SECRETS[number]));
  throw new UserError(
    `cannot tell whether ${unread.map((h) => `${h.name} (${h.error ?? "not read"})`).join(", ")} ${
      unread.length === 1 ? "holds" : "hold"
    } Lago secrets, and the secrets store ${s.store} ${
      s.values ? `lacks ${lacking.join(", ")}` : "does not exist"
    }; ${NOTHING_DONE}`,
    `new secrets are made only when no host of the installation holds any: bring ${
      unread.length === 1 ? "it" : "them"
    } back and run again; if ${
      unread.length === 1 ? "it holds" : "they hold"
    } none for sure, create them with ` +
      `\`lago-provision secrets init ${quote(inventory)}${
        extra.length ? ` --names ${extra.join(",")}` : ""
      }\``,
  );
}

const holderText = (e: { host: string; paths: string[] }) => `${e.host} (${e.paths.join(", ")})`;

/** The exact `secrets import` that adopts `names` from one host's files. */
function importCommand(inventory: string, from: { host: string; paths: string[] }, names: string[]): string {
  const files = from.paths.every((p) => IMPORT_FILES.includes(p))
    ? ""
    : from.paths.map((p) => ` --file ${quote(p)}`).join("");
  const extra = names.filter((n) => !IMPORT_NAMES.includes(n));
  return `lago-provision secrets import ${quote(inventory)} --from ${quote(from.host)}${files}${
    extra.length ? ` --names ${extra.join(",")}` : ""
  }`;
}
