import { describe, expect, it } from "vitest";
import {
  type BackupManifest,
  checkFiles,
  judgeRestore,
  parseManifest,
  parseMeasured,
  type RestoreTarget,
} from "../../../src/backup/manifest.ts";
import { parseRestoreFacts } from "../../../src/backup/restore-script.ts";

const SHA = (c: string) => c.repeat(64);
const manifest: BackupManifest = {
  format: 1,
  id: "20261204T210000Z",
  created: "2026-12-04T21:00:00Z",
  host: "lago-1",
  project: "lago",
  installation: "0123456789abcdef",
  lago_version: "v1.49.0",
  schema_version: "20250101000000",
  storage: "local",
  files: [
    { name: "db.dump", bytes: 4096, sha256: SHA("a") },
    { name: "storage.tar.gz", bytes: 100, sha256: SHA("b") },
  ],
};
const target: RestoreTarget = {
  host: "lago-2",
  installation: "0123456789abcdef",
  version: "v1.49.0",
  schemaVersion: "20250101000000",
  storage: "local",
};

describe("parseManifest", () => {
  const cases: [string, string, RegExp | null][] = [
    ["a whole manifest", JSON.stringify(manifest), null],
    ["not JSON (cut)", JSON.stringify(manifest).slice(0, 40), /not JSON \(a truncated or foreign backup\?\)/],
    ["another format", JSON.stringify({ ...manifest, format: 2 }), /manifest.json format: /],
    [
      "a bad checksum",
      JSON.stringify({ ...manifest, files: [{ name: "db.dump", bytes: 1, sha256: "x" }] }),
      /files\/0\/sha256/,
    ],
    ["no dump", JSON.stringify({ ...manifest, files: [manifest.files[1]] }), /lists no db.dump/],
    [
      "local storage without its archive",
      JSON.stringify({ ...manifest, files: [manifest.files[0]] }),
      /no storage.tar.gz/,
    ],
    [
      "an unknown file",
      JSON.stringify({ ...manifest, files: [{ ...manifest.files[0], name: "../x" }] }),
      /files\/0\/name/,
    ],
  ];
  for (const [what, text, error] of cases) {
    it(what, () => {
      const r = parseManifest(text, "here");
      if (error === null) expect(r).toEqual(manifest);
      else expect("error" in r && r.error).toMatch(error);
    });
  }
});

describe("checkFiles", () => {
  const measured = (over: Record<string, { bytes: number; sha256: string } | undefined>) =>
    new Map(
      Object.entries({
        "db.dump": { bytes: 4096, sha256: SHA("a") },
        "storage.tar.gz": { bytes: 100, sha256: SHA("b") },
        ...over,
      })
        .filter(([, v]) => v !== undefined) as [string, { bytes: number; sha256: string }][],
    );
  const cases: [string, Parameters<typeof measured>[0], string[]][] = [
    ["all as in the manifest", {}, []],
    ["a missing file", { "storage.tar.gz": undefined }, ["storage.tar.gz is missing"]],
    ["a cut file", { "db.dump": { bytes: 10, sha256: SHA("c") } }, [
      "db.dump: 10 bytes, expected 4096 (truncated?)",
    ]],
    ["a changed byte", { "db.dump": { bytes: 4096, sha256: SHA("c") } }, [
      "db.dump: sha256 differs from the manifest (corrupt)",
    ]],
  ];
  for (const [what, over, problems] of cases) {
    it(what, () => expect(checkFiles(manifest, measured(over))).toEqual(problems));
  }

  it("reads the hosts' measures", () => {
    expect(parseMeasured(`file db.dump 4096 ${SHA("a")}\nnoise\nfile storage.tar.gz 100 ${SHA("b")}\n`))
      .toEqual(measured({}));
  });
});

describe("judgeRestore", () => {
  const cases: [
    string,
    Partial<BackupManifest>,
    Partial<RestoreTarget>,
    string[],
    RegExp | { migrate: boolean },
  ][] = [
    ["same release and schema", {}, {}, [], { migrate: false }],
    ["a destroyed database (no schema now)", {}, { schemaVersion: null }, [], { migrate: false }],
    ["an older release: migrate", {}, { version: "v1.50.0", schemaVersion: "20250201000000" }, [], {
      migrate: true,
    }],
    ["an older schema on the same release", { schema_version: "20240101000000" }, {}, [], { migrate: true }],
    ["damaged files", {}, {}, ["db.dump is missing"], /is damaged: db.dump is missing/],
    [
      "another installation",
      {},
      { installation: "fedcba9876543210" },
      [],
      /another installation \(0123456789abcdef, made on lago-1\)/,
    ],
    ["no Lago on the host", {}, { installation: null }, [], /no Lago installation/],
    ["no Lago container", {}, { version: null }, [], /no Lago container on lago-2/],
    ["a newer release", { lago_version: "v1.50.0" }, {}, [], /Lago v1.50.0, newer than the v1.49.0/],
    [
      "a newer schema",
      { schema_version: "20260101000000" },
      {},
      [],
      /schema 20260101000000, newer than 20250101000000/,
    ],
    ["other file storage", {}, { storage: "s3" }, [], /used local file storage, lago-2 uses s3/],
    ["a local build's tag is not compared", { lago_version: "dev" }, { version: "v1.49.0" }, [], {
      migrate: true,
    }],
  ];
  for (const [what, m, t, problems, expected] of cases) {
    it(what, () => {
      const d = judgeRestore({ ...manifest, ...m }, { ...target, ...t }, problems);
      if (expected instanceof RegExp) {
        expect(d.refusal).toMatch(expected);
        expect(d.steps).toEqual([]);
      } else {
        expect(d.refusal).toBeUndefined();
        expect(d.migrate).toBe(expected.migrate);
        expect(d.steps.some((s) => s.startsWith("migrate"))).toBe(expected.migrate);
        expect(d.steps[0]).toMatch(/^stop api, workers and clock/);
      }
    });
  }
});

describe("parseRestoreFacts", () => {
  it("reads the host's answer", () => {
    const out = [
      "path /var/backups/lago/20261204T210000Z",
      "installation 0123456789abcdef",
      "version v1.50.0",
      "schema ",
      "storage local",
      "db bundled",
      `manifest ${btoa(JSON.stringify(manifest))}`,
      `file db.dump 4096 ${SHA("a")}`,
    ].join("\n");
    const f = parseRestoreFacts("lago-2", out);
    expect(f.target).toEqual({ ...target, version: "v1.50.0", schemaVersion: null });
    expect(f.bundledDb).toBe(true);
    expect(parseManifest(f.backup!.manifestText, "x")).toEqual(manifest);
    expect(parseMeasured(f.backup!.measuredText).size).toBe(1);
  });
  it("no backup of that name: the host's facts alone", () => {
    const f = parseRestoreFacts("h", "installation 0123456789abcdef\nversion v1.50.0\ndb external\n");
    expect(f.backup).toBeUndefined();
    expect(f.bundledDb).toBe(false);
    expect(f.target.installation).toBe("0123456789abcdef");
  });
});
