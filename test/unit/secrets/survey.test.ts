/**
 * decideSecrets(store, what every host holds): a data table of fleets -> the names to generate, or
 * the refusal (which hosts, which keys, the exact command). Never a value: hashes and names only.
 */
import { describe, expect, it } from "vitest";
import type { UserError } from "../../../src/core/errors.ts";
import { CORE_SECRETS, secretHash, shortHash } from "../../../src/secrets/formats.ts";
import type { HostFile } from "../../../src/secrets/host-files.ts";
import { decideSecrets, type SurveyedHost } from "../../../src/secrets/survey.ts";

const DEST = "/opt/lago/secrets.env";
const ENV = "/opt/lago/.env";
const STORE = "/srv/inv/lago-secrets.enc";
const INV = "inv/prod.yml";
const FIVE = [...CORE_SECRETS];
const ALL = [...FIVE, "POSTGRES_PASSWORD"];
const SET_A = Object.fromEntries(ALL.map((n, i) => [n, `set-a-${i}-${"x".repeat(20)}`]));
const SET_B = Object.fromEntries(ALL.map((n, i) => [n, `set-b-${i}-${"y".repeat(20)}`]));

/** A host file as the survey reports it: values hashed. */
const file = (path: string, values: Record<string, string>): HostFile => ({
  path,
  state: Object.keys(values).length ? "file" : "missing",
  values: Object.fromEntries(Object.entries(values).map(([n, v]) => [n, secretHash(n, v)])),
});
const holding = (name: string, values: Record<string, string>, path = DEST): SurveyedHost => ({
  name,
  files: [file(path, values), file(path === DEST ? ENV : DEST, {})],
});
const bare = (name: string): SurveyedHost => ({ name, files: [file(DEST, {}), file(ENV, {})] });
const sha = (name: string, value: string) => shortHash(secretHash(name, value));

interface Case {
  name: string;
  values: Record<string, string> | null;
  names?: string[];
  hosts: SurveyedHost[];
  inventory?: string;
  /** The names to generate, or the refusal's message and hint (substrings each). */
  expect: { generate: string[] } | { error: string[]; hint: string[] };
}

const NOTHING = "nothing was generated or written on any host";

const cases: Case[] = [
  {
    name: "no store, every host bare: generate them all",
    values: null,
    hosts: [bare("h1"), bare("h2"), bare("h3")],
    expect: { generate: ALL },
  },
  {
    name: "the store has them all: nothing to generate, whatever the hosts (unreachable ones too)",
    values: SET_A,
    hosts: [holding("h1", SET_A), bare("h2"), { name: "h3", error: "connection refused" }],
    expect: { generate: [] },
  },
  {
    name: "a host that differs from the store is left to the module (it refuses that host alone)",
    values: SET_A,
    hosts: [holding("h1", SET_B), bare("h2")],
    expect: { generate: [] },
  },
  {
    name: "the store lacks an extra name nobody holds: generate that one",
    values: { ...SET_A, POSTGRES_PASSWORD: undefined! },
    names: [...ALL, "REDIS_PASSWORD"],
    hosts: [holding("h1", Object.fromEntries(FIVE.map((n) => [n, SET_A[n]]))), bare("h2")],
    expect: { generate: ["POSTGRES_PASSWORD", "REDIS_PASSWORD"] },
  },
  {
    name: "upstream placeholders are no values",
    values: null,
    hosts: [holding("h1", { SECRET_KEY_BASE: "your-secret-key-base-hex-64" }, ENV), bare("h2")],
    expect: { generate: ALL },
  },
  {
    name: "store lost, two hosts hold the set, one is bare: refuse, import from the first",
    values: null,
    hosts: [holding("h1", SET_A), holding("h2", SET_A), bare("h3")],
    expect: {
      error: [
        `h1 (${DEST}), h2 (${DEST}) already hold Lago secrets but the secrets store ${STORE} does not exist`,
        NOTHING,
      ],
      hint: ["two sets of keys", `\`lago-provision secrets import ${INV} --from h1\`, then run again`],
    },
  },
  {
    name: "one host holds a name the store lacks: refuse, import it from that host",
    values: { ...SET_A, POSTGRES_PASSWORD: undefined! },
    hosts: [bare("h1"), holding("h2", SET_A, ENV)],
    expect: {
      error: [`h2 (${ENV}) already holds POSTGRES_PASSWORD, which the secrets store ${STORE} lacks`, NOTHING],
      hint: [`\`lago-provision secrets import ${INV} --from h2\``],
    },
  },
  {
    name: "two hosts hold different sets: refuse, naming hosts, keys and hashes, and both imports",
    values: null,
    hosts: [
      holding("h1", SET_A),
      holding("h2", { ...SET_A, SECRET_KEY_BASE: SET_B.SECRET_KEY_BASE }, ENV),
      bare("h3"),
    ],
    expect: {
      error: [
        `the hosts hold different Lago secrets`,
        `SECRET_KEY_BASE: h1 (${DEST}) (sha256 ${
          sha("SECRET_KEY_BASE", SET_A.SECRET_KEY_BASE)
        }) vs h2 (${ENV}) ` +
        `(sha256 ${sha("SECRET_KEY_BASE", SET_B.SECRET_KEY_BASE)}); ${NOTHING}`,
      ],
      hint: [
        `secrets status ${INV}`,
        `\`lago-provision secrets import ${INV} --from h1\` or \`lago-provision secrets import ${INV} --from h2\``,
      ],
    },
  },
  {
    name: "two files of one host disagree: the same refusal, naming the files",
    values: null,
    hosts: [{
      name: "h1",
      files: [file(DEST, SET_A), file(ENV, { SECRET_KEY_BASE: SET_B.SECRET_KEY_BASE })],
    }],
    expect: { error: [`SECRET_KEY_BASE: h1 (${DEST}) (sha256`, `vs h1 (${ENV})`], hint: ["--from h1"] },
  },
  {
    name: "hosts hold different names of one set: one import each",
    values: null,
    hosts: [holding("h1", { SECRET_KEY_BASE: SET_A.SECRET_KEY_BASE }), holding("h2", SET_A, ENV)],
    expect: {
      error: [`h1 (${DEST}), h2 (${ENV}) already hold Lago secrets`],
      hint: [`\`lago-provision secrets import ${INV} --from h2\`, then run again`],
    },
  },
  {
    name: "no store and a host that cannot be read: refuse, it may hold the installation's",
    values: null,
    hosts: [bare("h1"), { name: "h2", error: "connection refused" }],
    expect: {
      error: [`cannot tell whether h2 (connection refused) holds Lago secrets`, "does not exist", NOTHING],
      hint: ["bring it back", `\`lago-provision secrets init ${INV} --names POSTGRES_PASSWORD\``],
    },
  },
  {
    name: "names beyond the known ones and files elsewhere are in the import command; odd paths quoted",
    values: null,
    names: [...FIVE, "LAGO_SMTP_PASSWORD"],
    inventory: "my inventories/prod.yml",
    hosts: [holding("h1", { ...SET_A, LAGO_SMTP_PASSWORD: "smtp-password-00000000" }, "/srv/lago/.env")],
    expect: {
      error: ["h1 (/srv/lago/.env) already holds Lago secrets"],
      hint: [
        `\`lago-provision secrets import 'my inventories/prod.yml' --from h1 --file /srv/lago/.env --names LAGO_SMTP_PASSWORD\``,
      ],
    },
  },
];

function decide(c: Case): { generate: string[] } | { error: string; hint: string } {
  const values = c.values &&
    Object.fromEntries(Object.entries(c.values).filter(([, v]) => v !== undefined));
  try {
    return decideSecrets({ store: STORE, values, names: c.names ?? ALL, hosts: c.hosts }, c.inventory ?? INV);
  } catch (e) {
    return { error: (e as UserError).message, hint: (e as UserError).hint ?? "" };
  }
}

describe("decideSecrets", () => {
  it.each(cases)("$name", (c) => {
    const got = decide(c);
    if ("generate" in c.expect) return expect(got).toEqual(c.expect);
    expect("error" in got, JSON.stringify(got)).toBe(true);
    const { error, hint } = got as { error: string; hint: string };
    for (const part of c.expect.error) expect(error).toContain(part);
    for (const part of c.expect.hint) expect(hint).toContain(part);
  });

  it("never shows a value", () => {
    const text = cases.map((c) => JSON.stringify(decide(c))).join("\n");
    for (const v of [...Object.values(SET_A), ...Object.values(SET_B)]) {
      expect(text).not.toContain(v.slice(0, 12));
    }
  });
});
