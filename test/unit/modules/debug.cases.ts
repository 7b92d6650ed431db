import type { ModuleCase, ProbeCase } from "./cases.ts";

export const planCases: ModuleCase[] = [
  {
    name: "msg: printed as the reason and returned",
    args: { msg: "deploying v1.50.0" },
    expect: { changed: false, reason: "deploying v1.50.0", steps: [], result: { msg: "deploying v1.50.0" } },
  },
  { name: "default message", args: {}, expect: { changed: false, reason: "Hello world!" } },
  {
    name: "msg may be any value",
    args: { msg: { hosts: 2 } },
    expect: { changed: false, reason: '{"hosts":2}', result: { msg: { hosts: 2 } } },
  },
  {
    name: "var: the value of a variable",
    args: { var: "app.port" },
    vars: { app: { port: 8080 } },
    expect: { changed: false, reason: "app.port = 8080", result: { "app.port": "8080" } },
  },
  {
    name: "var: a registered result as JSON",
    args: { var: "out" },
    vars: { out: { rc: 0, stdout: "ok" } },
    expect: { changed: false, reason: 'out = {"rc":0,"stdout":"ok"}' },
  },
  {
    name: "var: undefined does not fail the play",
    args: { var: "nope" },
    expect: { changed: false, reason: "nope = VARIABLE IS NOT DEFINED!" },
  },
  {
    name: "error: msg and var",
    args: { msg: "a", var: "b" },
    expect: { error: "var: give msg or var, not both" },
  },
  {
    name: "error: var is an expression",
    args: { var: "{{ x }}" },
    expect: { error: "var: should be a variable name" },
  },
  {
    name: "error: unknown key",
    args: { msg: "a", verbosity: 1 },
    expect: { error: 'Unrecognized key: "verbosity"' },
  },
];

export const probeCases: ProbeCase[] = [{ name: "needs no probe", args: { msg: "x" }, command: null }];
