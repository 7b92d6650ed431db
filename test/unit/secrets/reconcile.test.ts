/** reconcile(store, host files, names): a data table of store contents x host files -> decision. */
import { describe, expect, it } from "vitest";
import { secretHash } from "../../../src/secrets/formats.ts";
import { reconcile, type Reconciliation } from "../../../src/secrets/reconcile.ts";

const DEST = "/opt/lago/secrets.env";
const ENV = "/opt/lago/.env";
const A = "SECRET_KEY_BASE";
const B = "LAGO_ENCRYPTION_PRIMARY_KEY";
/** A host file as the probe reports it: values hashed. */
const f = (path: string, values: Record<string, string>) => ({
  path,
  values: Object.fromEntries(Object.entries(values).map(([n, v]) => [n, secretHash(n, v)])),
});
const h = (name: string, v: string) => secretHash(name, v);

interface Case {
  name: string;
  store: Record<string, string> | null;
  host: ReturnType<typeof f>[];
  names?: string[];
  expect: Partial<Reconciliation>;
}

const none: Reconciliation = { conflicts: [], hostOnly: [], generate: [], matching: [], placeholders: [] };

const cases: Case[] = [
  {
    name: "store has all, host matches",
    store: { [A]: "a1", [B]: "b1" },
    host: [f(DEST, { [A]: "a1", [B]: "b1" }), f(ENV, { [A]: "a1" })],
    expect: { matching: [A, B] },
  },
  {
    name: "store has all, host empty: nothing to generate, nothing matching",
    store: { [A]: "a1", [B]: "b1" },
    host: [f(DEST, {}), f(ENV, {})],
    expect: {},
  },
  {
    name: "store has all, host has part",
    store: { [A]: "a1", [B]: "b1" },
    host: [f(ENV, { [B]: "b1" })],
    expect: { matching: [B] },
  },
  {
    name: "host value differs from the store",
    store: { [A]: "a1", [B]: "b1" },
    host: [f(DEST, { [A]: "a1", [B]: "b1" }), f(ENV, { [B]: "b2" })],
    expect: { matching: [A], conflicts: [{ name: B, path: ENV, host: h(B, "b2"), store: h(B, "b1") }] },
  },
  {
    name: "no store, bare host: generate all",
    store: null,
    host: [f(DEST, {}), f(ENV, {})],
    expect: { generate: [A, B] },
  },
  {
    name: "no store, host has values (same in both files): import them",
    store: null,
    host: [f(DEST, { [A]: "a1" }), f(ENV, { [A]: "a1" })],
    expect: { hostOnly: [{ name: A, paths: [DEST, ENV] }], generate: [B] },
  },
  {
    name: "no store, the host's files disagree",
    store: null,
    host: [f(DEST, { [A]: "a1" }), f(ENV, { [A]: "a2" })],
    expect: {
      conflicts: [{ name: A, path: ENV, host: h(A, "a2"), store: h(A, "a1"), otherPath: DEST }],
      generate: [B],
    },
  },
  {
    name: "store lacks an extra name the host has",
    store: { [A]: "a1" },
    host: [f(ENV, { [A]: "a1", POSTGRES_PASSWORD: "pg" })],
    names: [A, "POSTGRES_PASSWORD"],
    expect: { matching: [A], hostOnly: [{ name: "POSTGRES_PASSWORD", paths: [ENV] }] },
  },
  {
    name: "store lacks an extra name nobody has: generate it",
    store: { [A]: "a1" },
    host: [f(DEST, { [A]: "a1" })],
    names: [A, "REDIS_PASSWORD"],
    expect: { matching: [A], generate: ["REDIS_PASSWORD"] },
  },
  {
    name: "placeholders count as absent (no store: generate)",
    store: null,
    host: [f(ENV, { [A]: "your-secret-key-base-hex-64", [B]: "your-encryption-primary-key" })],
    expect: { generate: [A, B], placeholders: [{ name: A, path: ENV }, { name: B, path: ENV }] },
  },
  {
    name: "a placeholder beside the store's value is no conflict",
    store: { [A]: "a1", [B]: "b1" },
    host: [f(DEST, { [A]: "a1", [B]: "b1" }), f(ENV, { [A]: "changeme" })],
    expect: { matching: [A, B], placeholders: [{ name: A, path: ENV }] },
  },
  {
    name: "names not asked for are ignored",
    store: { [A]: "a1" },
    host: [f(ENV, { [A]: "a1", OTHER_SECRET: "x" })],
    names: [A],
    expect: { matching: [A] },
  },
];

describe("reconcile", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(reconcile(c.store, c.host, c.names ?? [A, B])).toEqual({ ...none, ...c.expect });
    });
  }

  it("compares a wrapped RSA key by its one-line form", () => {
    const key = "TFMwdExTLS0tQkVHSU4=";
    const r = reconcile({ LAGO_RSA_PRIVATE_KEY: key }, [
      f(ENV, { LAGO_RSA_PRIVATE_KEY: "TFMwdExT\nLS0tQkVHSU4=" }),
    ], [
      "LAGO_RSA_PRIVATE_KEY",
    ]);
    expect(r.matching).toEqual(["LAGO_RSA_PRIVATE_KEY"]);
  });
});
