import type { ModuleCase, ProbeCase } from "./cases.ts";

export const planCases: ModuleCase[] = [
  {
    name: "port: one wait step, not a change",
    args: { port: 5432 },
    expect: {
      changed: false,
      reason: "waits for port 5432 on 127.0.0.1 to accept connections (up to 300s)",
      steps: ["wait port 5432 on 127.0.0.1 to accept connections (timeout 300s)"],
    },
  },
  {
    name: "port stopped, with a delay first",
    args: { port: 8080, host: "10.0.0.5", state: "stopped", delay: 5, timeout: 60 },
    expect: {
      changed: false,
      steps: ["sleep 5", "wait port 8080 on 10.0.0.5 to close (timeout 60s)"],
    },
  },
  {
    name: "url with a status",
    args: { url: "http://127.0.0.1:3000/health", status: 200, timeout: 120, sleep: 2 },
    expect: {
      changed: false,
      reason: "waits for http://127.0.0.1:3000/health to answer 200 (up to 120s)",
      steps: ["wait http://127.0.0.1:3000/health to answer 200 (timeout 120s)"],
    },
  },
  {
    name: "already answering (the probe saw it): nothing to wait for",
    args: { url: "http://127.0.0.1:3000/health" },
    facts: true,
    expect: { changed: false, reason: "http://127.0.0.1:3000/health answers 200 already", steps: [] },
  },
  {
    name: "a read-only command: waits until it succeeds",
    args: { command: "docker version", timeout: 30 },
    facts: false,
    expect: { changed: false, steps: ["wait `docker version` to succeed (timeout 30s)"] },
  },
  {
    name: "a read-only command that succeeds already",
    args: { command: "docker version" },
    facts: true,
    expect: { changed: false, reason: "`docker version` succeeds already", steps: [] },
  },
  {
    name: "error: neither port, url nor command",
    args: { timeout: 10 },
    expect: { error: "give port, url or command" },
  },
  {
    name: "error: both port and url",
    args: { port: 80, url: "http://x/" },
    expect: { error: "give port, url or command" },
  },
  { name: "error: port out of range", args: { port: 70000 }, expect: { error: "port" } },
  { name: "error: port as text", args: { port: "5432" }, expect: { error: "port" } },
  {
    name: "error: not an http url",
    args: { url: "ftp://x/" },
    expect: { error: "url: should be an http:// or https:// URL" },
  },
  {
    name: "error: stopped for a url",
    args: { url: "http://x/", state: "stopped" },
    expect: { error: "state: stopped is only for port" },
  },
  { name: "error: host with a space", args: { port: 80, host: "a b" }, expect: { error: "host" } },
  {
    name: "error: unknown key",
    args: { port: 80, search_regex: "x" },
    expect: { error: 'Unrecognized key: "search_regex"' },
  },
];

export const probeCases: ProbeCase[] = [
  {
    name: "the readiness check is the probe: a port",
    args: { port: 5432 },
    command:
      "if timeout 5 bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' bash 127.0.0.1 5432 2>/dev/null; then echo 1; " +
      "else echo 0; fi",
    output: { stdout: "1\n" },
    facts: true,
  },
  {
    name: "a command",
    args: { command: "docker version" },
    command: "if sh -c 'docker version' >/dev/null 2>&1; then echo 1; else echo 0; fi",
    output: { stdout: "0\n" },
    facts: false,
  },
];
