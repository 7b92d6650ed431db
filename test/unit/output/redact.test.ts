import { createTwoFilesPatch } from "diff";
import { describe, expect, it } from "vitest";
import type { Diff } from "../../../src/modules/types.ts";
import { isSecretName, Redactor, type Secret, secretsFromVars } from "../../../src/output/redact.ts";

// PEM armour lines, built here so that no file of the repository holds a key-looking block (secret
// scanners); the "key" below is random text, not a key.
const BEGIN = `-----${"BEGIN"} RSA PRIVATE KEY-----`;
const END = `-----${"END"} RSA PRIVATE KEY-----`;

const PEM = [
  BEGIN,
  "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
  "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
  "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
  END,
  "",
].join("\n");

const secrets: Secret[] = [
  { name: "db_password", value: "p@ss word/1" },
  { name: "LAGO_RSA_PRIVATE_KEY", value: PEM },
  { name: "api_token", value: "tok_abcdef123456" },
  { name: "tiny", value: "abc" }, // too short to hunt for
];
const r = new Redactor(secrets);

const b64 = (s: string) => btoa(s);

const textCases: [name: string, input: string, expected: string][] = [
  ["plain value", "password is p@ss word/1!", "password is <redacted: db_password>!"],
  ["twice", "tok_abcdef123456 and tok_abcdef123456", "<redacted: api_token> and <redacted: api_token>"],
  [
    "URL-encoded in a DATABASE_URL",
    "DATABASE_URL=postgres://lago:p%40ss%20word%2F1@db:5432/lago",
    "DATABASE_URL=postgres://lago:<redacted: db_password>@db:5432/lago",
  ],
  ["URL-encoded, lower-case hex", "x=p%40ss%20word%2f1", "x=<redacted: db_password>"],
  ["form-encoded (+ for space)", "pw=p%40ss+word%2F1&x=1", "pw=<redacted: db_password>&x=1"],
  ["encodeURI form", "http://h/p@ss%20word/1", "http://h/<redacted: db_password>"],
  ["base64", `secret: ${b64("p@ss word/1")}`, "secret: <redacted: db_password>"],
  ["base64 without padding", `x=${b64("tok_abcdef123456").replace(/=+$/, "")};`, "x=<redacted: api_token>;"],
  [
    "JSON-escaped multi-line value",
    JSON.stringify({ key: PEM }),
    '{"key":"<redacted: LAGO_RSA_PRIVATE_KEY>"}',
  ],
  ["whole PEM", `key:\n${PEM}done`, "key:\n<redacted: LAGO_RSA_PRIVATE_KEY>done"],
  [
    "PEM without its trailing newline",
    `"${PEM.trim()}"`,
    '"<redacted: LAGO_RSA_PRIVATE_KEY>"',
  ],
  [
    "one line of a PEM key",
    "stderr: VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "stderr: <redacted: LAGO_RSA_PRIVATE_KEY>",
  ],
  ["PEM armor alone is no secret", BEGIN, BEGIN],
  ["short values are ignored", "abc abc", "abc abc"],
  ["nothing secret", "all good", "all good"],
];

describe("Redactor.redactText", () => {
  for (const [name, input, expected] of textCases) {
    it(name, () => expect(r.redactText(input)).toBe(expected));
  }

  it("accepts the engine's name -> value map", () => {
    const m = new Redactor(new Map([["db_password", "hunter22"]]));
    expect(m.redactText("pw hunter22")).toBe("pw <redacted: db_password>");
  });

  it("is a no-op without secrets", () => expect(new Redactor([]).redactText("x p@ss")).toBe("x p@ss"));

  it("prefers the longer secret when one contains another", () => {
    const nested = new Redactor([{ name: "short", value: "abcd" }, { name: "long", value: "abcdefgh" }]);
    expect(nested.redactText("abcdefgh abcd")).toBe("<redacted: long> <redacted: short>");
  });
});

const diffCases: [name: string, diff: Diff, expected: { before: string; after: string; sensitive?: true }][] =
  [
    [
      "nothing secret: unchanged",
      { target: "/etc/x", before: "a\nb\n", after: "a\nc\n" },
      { before: "a\nb\n", after: "a\nc\n" },
    ],
    [
      "a changed secret line becomes one marker",
      {
        target: "/opt/lago/.env",
        before: "A=1\nDB_PASSWORD=old-value\nB=2\n",
        after: "A=1\nDB_PASSWORD=p@ss word/1\nB=2\n",
      },
      { before: "A=1\nB=2\n", after: "A=1\n<redacted: db_password changed>\nB=2\n" },
    ],
    [
      "secret in unchanged lines is redacted in place",
      { target: "/opt/lago/.env", before: "T=tok_abcdef123456\nA=1\n", after: "T=tok_abcdef123456\nA=2\n" },
      { before: "T=<redacted: api_token>\nA=1\n", after: "T=<redacted: api_token>\nA=2\n" },
    ],
    [
      "unknown value of a secret-named key in context is hidden",
      {
        target: "/opt/lago/.env",
        before: "SECRET_KEY_BASE=abcdef\nA=1\n",
        after: "SECRET_KEY_BASE=abcdef\nA=2\n",
      },
      {
        before: "SECRET_KEY_BASE=<redacted: SECRET_KEY_BASE>\nA=1\n",
        after: "SECRET_KEY_BASE=<redacted: SECRET_KEY_BASE>\nA=2\n",
      },
    ],
    [
      "the old value of a secret-named key is hidden too",
      { target: "/opt/lago/.env", before: "REDIS_PASSWORD=old\nA=1\n", after: "REDIS_PASSWORD=new\nA=1\n" },
      { before: "A=1\n", after: "<redacted: REDIS_PASSWORD changed>\nA=1\n" },
    ],
    [
      "pairs: other changed lines in the same block stay visible",
      { target: "/opt/lago/.env", before: "URL=a\nTOKEN=x\n", after: "URL=b\nTOKEN=tok_abcdef123456\n" },
      { before: "URL=a\n", after: "URL=b\n<redacted: api_token changed>\n" },
    ],
    [
      "uneven block with a secret: the whole block goes",
      { target: "/x", before: "one\ntwo\n", after: "uno\nkey tok_abcdef123456\ndos\n" },
      { before: "", after: "<redacted: api_token changed>\n" },
    ],
    [
      "multi-line PEM replaced by a new one",
      {
        target: "/opt/lago/rsa.pem",
        before: `${BEGIN}\nOLDKEYLINE1aaaaaaaaaaaaaa\nOLDKEYLINE2bbbbbbbbbbbbbb\nOLDKEYLINE3cccccccc\n` +
          `${END}\n`,
        after: PEM,
      },
      {
        before: `${BEGIN}\n${END}\n`,
        after: `${BEGIN}\n<redacted: LAGO_RSA_PRIVATE_KEY changed>\n${END}\n`,
      },
    ],
    [
      "PEM inside an .env value",
      {
        target: "/opt/lago/.env",
        before: "A=1\n",
        after: `A=1\nLAGO_RSA_PRIVATE_KEY="${PEM.trim()}"\n`,
      },
      { before: "A=1\n", after: "A=1\n<redacted: LAGO_RSA_PRIVATE_KEY changed>\n" },
    ],
    [
      "secret added to a new file",
      { target: "/x", before: "", after: "password: p@ss word/1\n" },
      { before: "", after: "<redacted: db_password changed>\n" },
    ],
    [
      "sensitive diffs lose their content",
      { target: "/etc/shadow", before: "a", after: "b", sensitive: true },
      { before: "", after: "", sensitive: true },
    ],
  ];

describe("Redactor.redactDiff", () => {
  for (const [name, diff, expected] of diffCases) {
    it(name, () => {
      const out = r.redactDiff(diff);
      expect(out).toEqual({ target: diff.target, ...expected });
    });
  }

  it("reads as '<redacted: NAME changed>' in a unified diff", () => {
    const out = r.redactDiff({
      target: "/opt/lago/.env",
      before: "A=1\nLAGO_RSA_PRIVATE_KEY=old\n",
      after: `A=1\nLAGO_RSA_PRIVATE_KEY="${PEM.trim()}"\n`,
    });
    const patch = createTwoFilesPatch("a", "b", out.before, out.after);
    expect(patch).toContain("+<redacted: LAGO_RSA_PRIVATE_KEY changed>");
    expect(patch).not.toContain("MIIE");
    expect(patch).not.toContain("old");
  });
});

describe("Redactor.redactValue", () => {
  it("redacts strings deep inside, and values under secret-named keys", () => {
    const value = {
      stdout: "connected with tok_abcdef123456",
      lines: ["p@ss word/1", 3, null, true],
      nested: { db_password: "anything-else", port: 5432, api_token: "" },
    };
    expect(r.redactValue(value)).toEqual({
      stdout: "connected with <redacted: api_token>",
      lines: ["<redacted: db_password>", 3, null, true],
      nested: { db_password: "<redacted: db_password>", port: 5432, api_token: "" },
    });
    expect(value.stdout).toContain("tok_"); // the input is not modified
  });

  it("survives cycles", () => {
    const a: Record<string, unknown> = { x: "tok_abcdef123456" };
    a.self = a;
    expect(r.redactValue(a)).toEqual({ x: "<redacted: api_token>", self: "[circular]" });
  });
});

const nameCases: [string, boolean][] = [
  ["db_password", true],
  ["POSTGRES_PASSWORD", true],
  ["smtp_passwd", true],
  ["secret_key_base", true],
  ["LAGO_RSA_PRIVATE_KEY", true],
  ["lago_encryption_primary_key", true],
  ["github_token", true],
  ["api_key", true],
  ["apiKey", true],
  ["privateKey", true],
  ["key", true],
  ["stripe-api-key", true],
  ["LAGO_ENCRYPTION_DETERMINISTIC_KEY", true],
  ["ssh_public_key", false],
  ["private_key_file", false],
  ["ssh_key_path", false],
  ["password_file", false],
  ["keyboard_layout", false],
  ["monkey", false],
  ["hostname", false],
  ["lago_version", false],
];

describe("isSecretName", () => {
  for (const [name, expected] of nameCases) {
    it(`${name} → ${expected}`, () => expect(isSecretName(name)).toBe(expected));
  }
});

describe("secretsFromVars", () => {
  it("finds secret-named leaves, by path, and everything under a secret-named key", () => {
    expect(
      secretsFromVars({
        lago_version: "1.2",
        db_password: "hunter22",
        lago: { api_key: 12345, url: "http://x" },
        secrets: { smtp: "s3cr3t!", list: ["a1b2c3"] },
        ssh_public_key: "ssh-ed25519 AAAA",
        empty_token: null,
      }),
    ).toEqual([
      { name: "db_password", value: "hunter22" },
      { name: "lago.api_key", value: "12345" },
      { name: "secrets.smtp", value: "s3cr3t!" },
      { name: "secrets.list.0", value: "a1b2c3" },
    ]);
  });
});
