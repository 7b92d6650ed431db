/**
 * Hostile and corrupt state files and patterns (issue #18), as one table for the bad-input runner:
 * saved plans, the secrets store, private keys and known_hosts, host ranges, host patterns, output
 * paths. Each case with its neighbours; `contacts: true` marks the controls that must reach the host,
 * so "no host contacted" is a measure that can fail.
 */
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureSecrets, forgetStores, STORE_FORMAT } from "../../src/secrets/store.ts";
import type { BadInput, FileSpec } from "./runner.ts";

const MiB = 1024 * 1024;

/** One host, `web1`, reached with the target's variables (group vars: a host may override them). */
const INVENTORY = "all:\n  vars: @HOST@\n  hosts:\n    web1:\n  children:\n    nohosts:\n      hosts: {}\n";
const PLAYBOOK = "- hosts: all\n  tasks:\n    - name: hello\n      debug:\n        msg: hi\n";
const project: Record<string, FileSpec> = { "inventory.yml": INVENTORY, "site.yml": PLAYBOOK };

// ---- saved plans ----

const GOOD_PLAN = {
  format: "lago-provision-plan",
  version: 1,
  created: "2026-01-02T03:04:05.678Z",
  inventory: "inventory.yml",
  playbook: "site.yml",
  // sha256 of no -e values: apply without -e gets past that check to the host.
  extraVars: { names: [], sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" },
  summary: { hosts: 1, change: 0, unchanged: 1, unknown: 0, failed: 0 },
  hosts: {
    web1: [{
      task: "hello",
      source: "site.yml:3:7",
      status: "ok",
      reason: "hi",
      fingerprint: "0".repeat(64),
    }],
  },
};
const planText = (change: (p: Record<string, any>) => void = () => {}) => {
  const p = structuredClone(GOOD_PLAN) as Record<string, any>;
  change(p);
  return JSON.stringify(p, null, 2);
};
/**
 * Cases of one family: the same command line, one file (the state file under test) made from each
 * case's spec beside the project.
 */
const family = (prefix: string, args: string[], file: string) =>
(
  name: string,
  spec: FileSpec,
  error: string | RegExp,
  extra: Partial<BadInput> = {},
): BadInput => ({
  name: `${prefix}: ${name}`,
  args,
  files: { ...project, [file]: spec },
  error,
  ...extra,
});
const applyPlan = family("plan", ["apply", "plan.json"], "plan.json");

const plans: BadInput[] = [
  applyPlan("empty", "", "plan plan.json is empty"),
  applyPlan("only white space", "\n  \n", "plan plan.json is empty"),
  applyPlan("truncated", planText().slice(0, 120), "plan plan.json is cut short"),
  applyPlan(
    "binary",
    new Uint8Array([0xff, 0xfe, 0x00, 0x81, 0x9c, 0x42, 0xc3, 0x28]),
    "plan plan.json is not text",
  ),
  applyPlan(
    "corrupt JSON",
    '{"format": "lago-provision-plan", version: 1}',
    "plan plan.json is not valid JSON",
  ),
  applyPlan("a JSON array", "[]", "plan plan.json is not a lago-provision plan"),
  applyPlan(
    "another tool's JSON",
    '{"terraform_version": "1.9"}',
    "plan plan.json is not a lago-provision plan",
  ),
  applyPlan("a newer version", planText((p) => (p.version = 2)), "plan plan.json has version 2"),
  applyPlan(
    "its inventory is gone",
    planText((p) => (p.inventory = "gone.yml")),
    "plan plan.json was made from the inventory gone.yml, which cannot be used now: it does not exist",
  ),
  applyPlan(
    "its playbook is gone",
    planText((p) => (p.playbook = "playbooks/gone.yml")),
    "plan plan.json was made from the playbook playbooks/gone.yml",
  ),
  {
    ...applyPlan("its inventory is a directory", planText((p) => (p.inventory = "inv")), "it is a directory"),
    files: { ...project, inv: { dir: true }, "plan.json": planText((p) => (p.inventory = "inv")) },
  },
  applyPlan(
    "a tampered --limit matching nothing",
    planText((p) => (p.limit = "[ab")),
    "plan plan.json: its --limit: '[ab' matches no host",
  ),
  applyPlan(
    "a tampered --limit that is no regular expression",
    planText((p) => (p.limit = "~(")),
    "plan plan.json is not a valid plan (limit: '(' in pattern '~(' is not a valid regular expression",
  ),
  applyPlan(
    "a tampered --limit naming no host or group",
    planText((p) => (p.limit = "nosuch")),
    "plan plan.json: its --limit: unknown group or host 'nosuch'",
  ),
  applyPlan(
    "a --limit of the wrong type",
    planText((p) => (p.limit = 5)),
    "plan plan.json is not a valid plan (limit:",
  ),
  applyPlan(
    "an unknown key",
    planText((p) => (p.extra = 1)),
    'plan plan.json is not a valid plan (top level: Unrecognized key: "extra")',
  ),
  applyPlan(
    "a task status that does not exist",
    planText((p) => (p.hosts.web1[0].status = "pwned")),
    "plan plan.json is not a valid plan (hosts/web1/0/status:",
  ),
  applyPlan(
    "a fingerprint that is no sha256",
    planText((p) => (p.hosts.web1[0].fingerprint = "x")),
    "plan plan.json is not a valid plan (hosts/web1/0/fingerprint: should be a sha256",
  ),
  applyPlan(
    "a negative count",
    planText((p) => (p.summary.change = -1)),
    "plan plan.json is not a valid plan (summary/change:",
  ),
  applyPlan(
    "80 MB",
    { size: 80 * 1000 * 1000, fill: " " },
    "plan plan.json is too large (76 MiB; a plan is at most 32 MiB)",
  ),
  applyPlan("a FIFO", { fifo: true }, "plan plan.json is a FIFO (named pipe), not a file"),
  applyPlan("a directory", { dir: true }, "plan plan.json is a directory, not a file"),
  applyPlan(
    "a dangling symbolic link",
    { symlink: "nowhere.json" },
    "plan plan.json is a symbolic link to a file that does not exist",
  ),
  applyPlan("/dev/zero", { symlink: "/dev/zero" }, "plan plan.json is a device, not a file"),
  {
    name: "plan: missing",
    args: ["apply", "missing.json"],
    files: project,
    error: "plan missing.json does not exist",
  },
  applyPlan(
    "applied with other -e values",
    planText(),
    "plan.json: the -e values differ from the ones the plan was made with (none)",
    { args: ["apply", "plan.json", "-e", "lago_version=v1.2.3"] },
  ),
  applyPlan("control: a valid plan the host drifted from", planText(), "", { contacts: true }),
];

// ---- the secrets store (read before `secrets import` contacts its host) ----

const PASSPHRASE = "bad input test passphrase";

/** A real store (cheap KDF), made once, as JSON to tamper with. */
function realStore(): Record<string, any> {
  const dir = mkdtempSync(join(tmpdir(), "lago-bad-store-"));
  try {
    forgetStores();
    ensureSecrets(join(dir, "s.enc"), ["SECRET_KEY_BASE"], {
      passphrase: PASSPHRASE,
      kdf: { N: 1024, r: 8, p: 1 },
    });
    return JSON.parse(readFileSync(join(dir, "s.enc"), "utf8"));
  } finally {
    forgetStores();
    rmSync(dir, { recursive: true, force: true });
  }
}
const STORE = realStore();
const storeText = (change: (e: Record<string, any>) => void) => {
  const e = structuredClone(STORE);
  change(e);
  return JSON.stringify(e);
};
const STORE_PATH = "lago-secrets.enc";
const importWith = family("store", ["secrets", "import", "inventory.yml", "--from", "web1"], STORE_PATH);
/** A play that runs lago_secrets: apply opens the store before the fleet lock contacts any host. */
const SECRETS_PLAY = "- hosts: all\n  tasks:\n    - name: secrets\n      lago_secrets: {}\n";
/** The same store under `apply` and under `apply plan.json` (a plan made with that play). */
const applyWithStore = (
  name: string,
  store: FileSpec,
  error: string | RegExp,
  extra: Partial<BadInput> = {},
): BadInput[] => {
  const files = { ...project, "site.yml": SECRETS_PLAY, [STORE_PATH]: store };
  return [
    {
      name: `store: apply, ${name}`,
      args: ["apply", "inventory.yml", "-p", "site.yml"],
      files,
      error,
      ...extra,
    },
    {
      name: `store: apply plan.json, ${name}`,
      args: ["apply", "plan.json"],
      files: { ...files, "plan.json": planText() },
      error,
      ...extra,
    },
  ];
};
const notAStore = (why: string) => `/${STORE_PATH} is not a lago-provision secrets store (${why}`;

const stores: BadInput[] = [
  importWith("a salt that is a number", storeText((e) => (e.kdf.salt = 5)), notAStore("kdf/salt:")),
  importWith(
    "N as a string",
    storeText((e) => (e.kdf.N = "131072")),
    notAStore("unsupported key derivation parameters: N should be"),
  ),
  importWith("an iv that is a number", storeText((e) => (e.iv = 12)), notAStore("iv:")),
  importWith(
    "an iv of the wrong length",
    storeText((e) => (e.iv = "AAAA")),
    notAStore("iv: should be 12 bytes"),
  ),
  importWith("no tag", storeText((e) => (e.tag = null)), notAStore("tag:")),
  importWith("a ciphertext that is a number", storeText((e) => (e.ciphertext = 7)), notAStore("ciphertext:")),
  importWith("kdf null", storeText((e) => (e.kdf = null)), notAStore("kdf: should be an object")),
  importWith(
    "a scrypt cost of 4 GiB (N=2^20, r=32)",
    storeText((e) => Object.assign(e.kdf, { N: 2 ** 20, r: 32 })),
    notAStore("unsupported key derivation parameters: N=1048576, r=32 would need 4096 MiB"),
  ),
  importWith(
    "a scrypt work factor 16 times the default",
    storeText((e) => Object.assign(e.kdf, { N: 2 ** 17, r: 8, p: 16 })),
    notAStore("unsupported key derivation parameters: N·r·p"),
  ),
  importWith(
    "N not a power of 2",
    storeText((e) => (e.kdf.N = 1000)),
    notAStore("unsupported key derivation parameters: N should"),
  ),
  importWith(
    "N of 2^30",
    storeText((e) => (e.kdf.N = 2 ** 30)),
    notAStore("unsupported key derivation parameters"),
  ),
  importWith(
    "an unknown key",
    storeText((e) => (e.extra = 1)),
    notAStore('top level: Unrecognized key: "extra"'),
  ),
  importWith(
    "another format",
    storeText((e) => (e.format = "vault")),
    notAStore(`format is not "${STORE_FORMAT}"`),
  ),
  importWith("a newer version", storeText((e) => (e.version = 2)), "has store version 2"),
  importWith("empty", "", notAStore("it is empty")),
  importWith("not JSON", "hello", notAStore("not JSON")),
  importWith(
    "2 MB",
    { size: 2 * MiB, fill: "{" },
    /secrets store \/.*\/lago-secrets.enc is too large \(2 MiB; a secrets store is at most 1 MiB\)/,
  ),
  importWith("a directory", { dir: true }, /secrets store \/.*\/lago-secrets.enc is a directory, not a file/),
  importWith("a FIFO", { fifo: true }, "is a FIFO (named pipe), not a file"),
  importWith("/dev/zero", { symlink: "/dev/zero" }, "is a device, not a file"),
  importWith(
    "a dangling symbolic link",
    { symlink: "nowhere.enc" },
    "is a symbolic link to a file that does not exist",
  ),
  importWith(
    "a wrong passphrase",
    JSON.stringify(STORE),
    "wrong passphrase",
    { env: { LAGO_SECRETS_PASSPHRASE: "not the passphrase at all" } },
  ),
  importWith(
    "a flipped ciphertext byte",
    storeText((e) => {
      const b = Buffer.from(e.ciphertext, "base64");
      b[0] ^= 1;
      e.ciphertext = b.toString("base64");
    }),
    "wrong passphrase, or the file was modified",
  ),
  importWith("control: the real store and passphrase", JSON.stringify(STORE), "", { contacts: true }),
  ...applyWithStore("a wrong passphrase", JSON.stringify(STORE), "wrong passphrase", {
    env: { LAGO_SECRETS_PASSPHRASE: "not the passphrase at all" },
  }),
  ...applyWithStore("an iv that is a number", storeText((e) => (e.iv = 12)), notAStore("iv:")),
  ...applyWithStore(
    "a scrypt cost of 4 GiB",
    storeText((e) => Object.assign(e.kdf, { N: 2 ** 20, r: 32 })),
    notAStore("unsupported key derivation parameters: N=1048576, r=32 would need 4096 MiB"),
  ),
  ...applyWithStore("a directory", { dir: true }, /secrets store \/.*\/lago-secrets.enc is a directory/),
  ...[
    ["upgrade", ["upgrade", "inventory.yml", "--to", "v1.50.0", "-p", "site.yml"]],
    ["rollback", ["rollback", "inventory.yml", "-p", "site.yml"]],
  ].flatMap(([command, args]) => [
    {
      // Before the lock, the backup and the first batch.
      name: `store: ${command}, a wrong passphrase`,
      args: args as string[],
      files: { ...project, "site.yml": SECRETS_PLAY, [STORE_PATH]: JSON.stringify(STORE) },
      env: { LAGO_SECRETS_PASSPHRASE: "not the passphrase at all" },
      error: "wrong passphrase",
    },
    {
      name: `store: ${command}, an iv that is a number`,
      args: args as string[],
      files: { ...project, "site.yml": SECRETS_PLAY, [STORE_PATH]: storeText((e) => (e.iv = 12)) },
      error: notAStore("iv:"),
    },
  ]),
  {
    // Opened for redaction alone, when the passphrase is at hand: as bad, and as early.
    name: "store: apply, a play without lago_secrets, a store that is not JSON",
    args: ["apply", "inventory.yml", "-p", "site.yml"],
    files: { ...project, [STORE_PATH]: "hello" },
    error: notAStore("not JSON"),
  },
  {
    name: "store: apply, control: the real store, in check mode",
    args: ["apply", "inventory.yml", "-p", "site.yml", "--check"],
    files: { ...project, "site.yml": SECRETS_PLAY, [STORE_PATH]: JSON.stringify(STORE) },
    error: "",
    contacts: true,
  },
  {
    name: "store: secrets init on a 4 GiB scrypt cost writes nothing",
    args: ["secrets", "init", "inventory.yml"],
    files: { ...project, [STORE_PATH]: storeText((e) => Object.assign(e.kdf, { N: 2 ** 20, r: 32 })) },
    error: notAStore("unsupported key derivation parameters"),
  },
];

// ---- private keys and known_hosts ----

/** Key files made with ssh-keygen (a fresh pair per run; the private half never leaves the temp dir). */
function keyPair(passphrase = ""): { privateKey: string; publicKey: string } {
  const dir = mkdtempSync(join(tmpdir(), "lago-bad-key-"));
  try {
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      passphrase,
      "-C",
      "bad-input",
      "-f",
      join(dir, "k"),
    ]);
    return {
      privateKey: readFileSync(join(dir, "k"), "utf8"),
      publicKey: readFileSync(join(dir, "k.pub"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const PLAIN_KEY = keyPair();
const ENCRYPTED_KEY = keyPair("a key passphrase");

const keyInventory =
  "all:\n  vars: @HOST@\n  hosts:\n    web1:\n      ansible_ssh_private_key_file: @DIR@/key\n";
const withKey = (name: string, key: FileSpec, error: string | RegExp, extra: Partial<BadInput> = {}) => ({
  name: `key: ${name}`,
  args: ["apply", "inventory.yml", "-p", "site.yml"],
  files: { ...project, "inventory.yml": keyInventory, key },
  error,
  ...extra,
});
const knownHostsInventory =
  "all:\n  vars: @HOST@\n  hosts:\n    web1:\n      known_hosts_file: @DIR@/known_hosts\n";
const withKnownHosts = (name: string, file: FileSpec, error: string | RegExp) => ({
  name: `known_hosts: ${name}`,
  args: ["apply", "inventory.yml", "-p", "site.yml"],
  files: { ...project, "inventory.yml": knownHostsInventory, known_hosts: file },
  error,
});
const KEY_VAR = "host 'web1': ansible_ssh_private_key_file:";

const keys: BadInput[] = [
  withKey("not a key", "hello\n", `${KEY_VAR} `),
  withKey("not a key (names the file)", "hello\n", /\/key is not a private key ssh can use/),
  withKey("empty", "", /private key .*\/key is empty/),
  withKey(
    "a public key",
    PLAIN_KEY.publicKey,
    /\/key is a public key \(ssh-ed25519\); the private key is needed/,
  ),
  withKey(
    "encrypted, no agent to unlock it",
    ENCRYPTED_KEY.privateKey,
    /\/key is encrypted with a passphrase, and no ssh-agent/,
  ),
  withKey("a directory", { dir: true }, /private key .*\/key is a directory, not a file/),
  withKey("a FIFO", { fifo: true }, /private key .*\/key is a FIFO \(named pipe\), not a file/),
  withKey("/dev/zero", { symlink: "/dev/zero" }, /private key .*\/key is a device, not a file/),
  withKey(
    "a dangling symbolic link",
    { symlink: "nowhere" },
    /\/key is a symbolic link to a file that does not exist/,
  ),
  withKey("2 MB", { size: 2 * MiB, fill: "A" }, /private key .*\/key is too large/),
  {
    ...withKey("missing", "", /private key .*\/nokey does not exist/),
    files: {
      ...project,
      "inventory.yml": keyInventory.replace("@DIR@/key", "@DIR@/nokey"),
    },
  },
  withKnownHosts("a directory", { dir: true }, /known_hosts file .*\/known_hosts is a directory, not a file/),
  withKnownHosts(
    "a FIFO",
    { fifo: true },
    /known_hosts file .*\/known_hosts is a FIFO \(named pipe\), not a file/,
  ),
  withKnownHosts(
    "/dev/zero",
    { symlink: "/dev/zero" },
    /known_hosts file .*\/known_hosts is a device, not a file/,
  ),
  {
    ...withKey("control: the target's own key", PLAIN_KEY.privateKey, "", { contacts: true }),
    files: { ...project, "inventory.yml": keyInventory.replace("@DIR@/key", "@KEY@") },
  },
];

// ---- host ranges ----

const rangeInventory = (pattern: string) =>
  `all:\n  vars: @HOST@\n  children:\n    web:\n      hosts:\n        "${pattern}":\n`;
/** The error names the file, line and key, then the range (its wording is the range reader's). */
const withRange = (pattern: string, error: string): BadInput => ({
  name: `range: ${pattern}`,
  args: ["apply", "inventory.yml", "-p", "site.yml"],
  files: { ...project, "inventory.yml": rangeInventory(pattern) },
  error: new RegExp(
    `^error: ${escape(`inventory.yml:6:9 all/children/web/hosts/${pattern}: host range`)}.* ${escape(error)}`,
  ),
});
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const ranges: BadInput[] = [
  withRange("web[1:100000000]", "names 100000000 hosts; an inventory may name at most 10000"),
  withRange("a[1:1000]b[1:1000]c[1:1000]", "names 1000000000 hosts"),
  withRange("web[1:[1:9]]", "cannot be nested"),
  withRange("web[9:1]", "must have begin <= end"),
  withRange("web[c:a]", "must have begin <= end (letters run a–z, then A–Z)"),
  withRange("web[A:z]", "must have begin <= end"),
  withRange("web[1:3:0]", "needs a step that is a whole number from 1"),
  withRange("web[01:3]", "must specify equal-length begin and end formats"),
  withRange("web[1:]", "must specify an end value"),
  withRange("web[1:2:3:4]", "must be begin:end or begin:end:step"),
  withRange("web[a:9]", "should be two numbers (01:10) or two letters (a:f)"),
  withRange("web[1:3", "has no closing ]"),
  {
    name: "range: several ranges that together name too many",
    args: ["apply", "inventory.yml", "-p", "site.yml"],
    files: {
      ...project,
      "inventory.yml": "all:\n  vars: @HOST@\n  hosts:\n" +
        [1, 2, 3, 4].map((i) => `    "g${i}-[1:3000]":\n`).join(""),
    },
    error: "inventory.yml:7:5 all/hosts/g4-[1:3000]: host range 'g4-[1:3000]' names 3000 hosts",
  },
  { ...withRange("web[1:2]", ""), contacts: true, name: "range: control: web[1:2]", error: "" },
];

// ---- host patterns ----

const withLimit = (limit: string, error: string, extra: Partial<BadInput> = {}) => ({
  name: `--limit ${limit}`,
  args: ["apply", "inventory.yml", "-p", "site.yml", "--limit", limit],
  files: project,
  error,
  ...extra,
});
const withHosts = (hosts: string, error: string) => ({
  name: `hosts: ${hosts}`,
  args: ["apply", "inventory.yml", "-p", "site.yml"],
  files: { ...project, "site.yml": PLAYBOOK.replace("hosts: all", `hosts: '${hosts}'`) },
  error,
});

const patterns: BadInput[] = [
  withLimit("[ab", "--limit: '[ab' matches no host of inventory.yml"),
  withLimit("(", "--limit: unknown group or host '(' in pattern '('"),
  withLimit("~(", "--limit: '(' in pattern '~(' is not a valid regular expression (unterminated group)"),
  withLimit("~[", "--limit: '[' in pattern '~[' is not a valid regular expression"),
  withLimit("web*:![z-a]", "--limit: '[z-a]' in pattern 'web*:![z-a]' is not a valid wildcard pattern"),
  withLimit("&", "--limit: '&' without a group or host name"),
  withLimit("nohosts", "--limit: 'nohosts' matches no host of inventory.yml"),
  withLimit("zz*", "--limit: 'zz*' matches no host of inventory.yml"),
  withLimit("web1:!web1", "--limit: 'web1:!web1' matches no host"),
  withLimit("nosuch", "--limit: unknown group or host 'nosuch'"),
  withHosts("~(", "site.yml:1:10 hosts: '(' in pattern '~(' is not a valid regular expression"),
  withHosts("[z-a]", "site.yml:1:10 hosts: '[z-a]' in pattern '[z-a]' is not a valid wildcard pattern"),
  withLimit("web[1]", "", { contacts: true, name: "--limit control: web[1] (a wildcard class)" }),
  withLimit("~^web", "", { contacts: true, name: "--limit control: ~^web" }),
];

// ---- the run journal (`apply --retry-failed` reads it to choose the hosts) ----

const JOURNAL = ".lago-provision/journal.json";
const journalText = (hosts: Record<string, unknown>, change: (j: Record<string, any>) => void = () => {}) => {
  const j: Record<string, any> = {
    version: 1,
    command: "apply inventory.yml",
    time: "2026-01-02T03:04:05Z",
    hosts,
  };
  change(j);
  return JSON.stringify(j);
};
const retryWith = family("journal", ["apply", "inventory.yml", "-p", "site.yml", "--retry-failed"], JOURNAL);
const notAJournal = (why: string) => `run journal .lago-provision/journal.json is not a run journal (${why}`;

const journals: BadInput[] = [
  retryWith("empty", "", "run journal .lago-provision/journal.json is empty"),
  retryWith("not JSON", "{", "run journal .lago-provision/journal.json is not valid JSON"),
  retryWith("a JSON array", "[]", notAJournal("top level:")),
  retryWith(
    "a newer version",
    journalText({ web1: "failed" }, (j) => (j.version = 2)),
    notAJournal("version:"),
  ),
  retryWith("a host that is a pattern", journalText({ "~(": "failed" }), notAJournal("hosts/~(:")),
  retryWith("a host that is a wildcard", journalText({ "web*": "failed" }), notAJournal("hosts/web*:")),
  retryWith("an outcome that does not exist", journalText({ web1: "pwned" }), notAJournal("hosts/web1:")),
  retryWith("hosts a list", journalText({}, (j) => (j.hosts = ["web1"])), notAJournal("hosts:")),
  retryWith(
    "a FIFO",
    { fifo: true },
    "run journal .lago-provision/journal.json is a FIFO (named pipe), not a file",
  ),
  retryWith(
    "a directory",
    { dir: true },
    "run journal .lago-provision/journal.json is a directory, not a file",
  ),
  retryWith("/dev/zero", { symlink: "/dev/zero" }, "run journal .lago-provision/journal.json is a device"),
  retryWith(
    "a dangling symbolic link",
    { symlink: "nowhere.json" },
    "run journal .lago-provision/journal.json is a symbolic link to a file that does not exist",
  ),
  retryWith("5 MB", { size: 5 * MiB, fill: " " }, "run journal .lago-provision/journal.json is too large"),
  retryWith("control: web1 failed last time", journalText({ web1: "failed" }), "", { contacts: true }),
];

// ---- output paths (checked before any host is contacted) ----

const outputs: BadInput[] = [
  {
    name: "plan -o into a missing folder",
    args: ["plan", "inventory.yml", "-p", "site.yml", "-o", "missing/dir/plan.json"],
    files: project,
    code: 2,
    error: "-o missing/dir/plan.json: the folder missing/dir does not exist",
  },
  {
    name: "plan -o onto a directory",
    args: ["plan", "inventory.yml", "-p", "site.yml", "-o", "plans"],
    files: { ...project, plans: { dir: true } },
    code: 2,
    error: "-o plans is a directory; the plan is written to a file",
  },
  {
    name: "plan -o onto a FIFO",
    args: ["plan", "inventory.yml", "-p", "site.yml", "-o", "plan.json"],
    files: { ...project, "plan.json": { fifo: true } },
    code: 2,
    error: "-o plan.json is a FIFO (named pipe); the plan is written to a file",
  },
  {
    name: "plan -o under a file",
    args: ["plan", "inventory.yml", "-p", "site.yml", "-o", "site.yml/plan.json"],
    files: project,
    code: 2,
    error: "-o site.yml/plan.json: site.yml is a file, not a folder",
  },
  {
    name: "lint -o into a missing folder",
    args: ["lint", "site.yml", "-o", "missing/report.txt"],
    files: project,
    code: 2,
    error: "-o missing/report.txt: the folder missing does not exist",
  },
  {
    name: "lint -o onto a directory",
    args: ["lint", "site.yml", "-o", "reports"],
    files: { ...project, reports: { dir: true } },
    code: 2,
    error: "-o reports is a directory; the lint report is written to a file",
  },
  {
    name: "plan -o control: writes the plan after contacting the host",
    args: ["plan", "inventory.yml", "-p", "site.yml", "-o", "plan.json"],
    files: project,
    error: "",
    contacts: true,
  },
];

export const hostileCases: BadInput[] = [
  ...plans,
  ...stores,
  ...keys,
  ...ranges,
  ...patterns,
  ...journals,
  ...outputs,
];
