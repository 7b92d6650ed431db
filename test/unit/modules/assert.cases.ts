import type { ModuleCase, ProbeCase } from "./cases.ts";

const vars = {
  lago_version: "v1.50.0",
  lago_api_port: 3000,
  lago_pdf_enabled: true,
  lago_sidekiq_queues: ["events", "pdfs"],
  lago_db: { host: "db", port: 5432 },
  lago_domain: "lago.example.com",
  lago_public_url: "https://{{ lago_domain }}",
  nothing: null,
};

export const planCases: ModuleCase[] = [
  {
    name: "a defined variable that refers to something missing names what is missing",
    args: { that: ["secret != ''"] },
    vars: { secret: "{{ store.secrets.KEY }}", store: { changed: true } },
    expect: { error: "undefined variable 'store.secrets.KEY'" },
  },
  {
    name: "every condition holds: no change",
    args: {
      that: [
        "lago_version != 'latest'",
        "lago_api_port | int > 0",
        "lago_pdf_enabled",
        "'pdfs' in lago_sidekiq_queues",
        "lago_db.port == 5432",
        true,
      ],
    },
    vars,
    expect: {
      changed: false,
      reason: "all 6 conditions hold",
      steps: [],
      result: { msg: "all 6 conditions hold" },
    },
  },
  {
    name: "the failure message names the variable",
    args: { that: ["lago_version != 'latest'"], fail_msg: "lago_version must be a pinned tag, not latest" },
    vars: { ...vars, lago_version: "latest" },
    expect: { error: "lago_version must be a pinned tag, not latest" },
  },
  {
    name: "several conditions and a fail_msg: the message names the one that failed",
    args: { that: ["lago_api_port > 0", "lago_domain == 'x'"], fail_msg: "bad settings" },
    vars,
    expect: { error: "bad settings (failed: lago_domain == 'x')" },
  },
  {
    name: "a fail_msg that renders empty (made of {{#if}} parts) holds: no message needed",
    args: { that: ["lago_api_port > 0"], fail_msg: "", success_msg: "" },
    vars,
    expect: { changed: false, steps: [], result: { msg: "the condition holds" } },
  },
  {
    name: "a fail_msg that renders empty, failing: the condition that failed",
    args: { that: ["lago_api_port < 1024"], fail_msg: "" },
    vars,
    expect: { error: "assertion failed: lago_api_port < 1024" },
  },
  {
    name: "without fail_msg: the condition that failed",
    args: { that: ["lago_api_port > 0", "lago_api_port < 1024"] },
    vars,
    expect: { error: "assertion failed: lago_api_port < 1024" },
  },
  {
    name: "is defined / is undefined and default() see the real scope",
    args: { that: ["lago_version is defined", "missing is undefined", "missing | default('x') == 'x'"] },
    vars,
    expect: { changed: false, steps: [] },
  },
  {
    name: "an undefined variable is an error naming it",
    args: { that: ["missing == 1"] },
    vars,
    expect: { error: "undefined variable 'missing'" },
  },
  {
    name: "templated values are rendered before comparing",
    args: { that: ["lago_public_url == 'https://lago.example.com'"], success_msg: "URL ok" },
    vars,
    expect: { changed: false, reason: "URL ok" },
  },
  {
    name: "null is None",
    args: { that: ["nothing is none", "not nothing"] },
    vars,
    expect: { changed: false },
  },
  {
    name: "a string test: substring with in",
    args: { that: ["'changeme' not in lago_domain"] },
    vars,
    expect: { changed: false },
  },
  { name: "error: no conditions", args: { that: [] }, expect: { error: "that" } },
  {
    name: "error: unknown key",
    args: { that: [true], msg: "x" },
    expect: { error: 'Unrecognized key: "msg"' },
  },
];

export const probeCases: ProbeCase[] = [{ name: "needs no probe", args: { that: [true] }, command: null }];
