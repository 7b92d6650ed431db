import { hostBackupScript } from "../../../src/backup/host-script.ts";
import type { ModuleCase, ProbeCase } from "./cases.ts";
import { absent, existing } from "./copy.cases.ts";

const script = (keep = 7) =>
  hostBackupScript({ dir: "/var/backups/lago", keep, project: "lago", lagoDir: "/opt/lago" });

export const planCases: ModuleCase[] = [
  {
    name: "installs the script `backup` runs, executable",
    args: {},
    facts: absent,
    expect: {
      changed: true,
      reason: "would create /usr/local/sbin/lago-backup",
      steps: ["write /usr/local/sbin/lago-backup mode=0755"],
    },
  },
  {
    name: "no change when the host has the same script",
    args: { keep: 3 },
    facts: existing(script(3), { mode: "0755" }),
    expect: { changed: false, reason: "already has the requested content", steps: [] },
  },
  {
    name: "another retention rewrites it",
    args: { keep: 14 },
    facts: existing(script(3), { mode: "0755" }),
    expect: { changed: true, steps: ["write /usr/local/sbin/lago-backup mode=0755 owner=root group=root"] },
  },
  { name: "keep must be at least 1", args: { keep: 0 }, facts: absent, expect: { error: "keep" } },
  { name: "dir must be absolute", args: { dir: "backups" }, facts: absent, expect: { error: "dir" } },
];

export const probeCases: ProbeCase[] = [];
