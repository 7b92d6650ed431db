/**
 * The private key and known_hosts files are judged before any host is contacted (checkConnectionFiles),
 * each refusal naming the host, the variable and the file; and a host that hangs up mid-handshake is
 * an unreachable host, never a crashed controller.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  checkConnectionFiles,
  forgetCredentials,
  readPrivateKey,
} from "../../../src/connection/credentials.ts";
import type { ConnectionSettings } from "../../../src/connection/settings.ts";
import { connectSsh } from "../../../src/connection/ssh.ts";
import { UnreachableError } from "../../../src/core/errors.ts";

const dir = mkdtempSync(join(tmpdir(), "lago-credentials-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => forgetCredentials());
const at = (name: string) => join(dir, name);

const keygen = (name: string, passphrase = "") =>
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", passphrase, "-f", at(name)]);
keygen("plain");
keygen("locked", "a key passphrase");
writeFileSync(at("text"), "not a key\n");
writeFileSync(at("empty"), "");
mkdirSync(at("folder"));
execFileSync("mkfifo", [at("fifo")]);
symlinkSync("/dev/zero", at("zero"));

const settings = (over: Partial<ConnectionSettings>): ConnectionSettings => ({
  name: "web1",
  connection: "ssh",
  host: "127.0.0.1",
  port: 22,
  user: "root",
  knownHostsFile: at("known_hosts"),
  hostKeyChecking: "strict",
  become: false,
  becomeUser: "root",
  ...over,
});

describe("private keys", () => {
  const withoutAgent = <T>(fn: () => T): T => {
    const agent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      return fn();
    } finally {
      if (agent !== undefined) process.env.SSH_AUTH_SOCK = agent;
    }
  };

  it("reads a private key", () => {
    expect(readPrivateKey(at("plain"), "web1").toString()).toBe(readFileSync(at("plain"), "utf8"));
  });

  it("leaves an encrypted key to a running ssh-agent", () => {
    const agent = process.env.SSH_AUTH_SOCK;
    process.env.SSH_AUTH_SOCK = at("agent.sock");
    try {
      expect(readPrivateKey(at("locked"), "web1")).toBe("agent");
    } finally {
      if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = agent;
    }
  });

  const variable = "host 'web1': ansible_ssh_private_key_file:";
  it.each([
    ["text", `${variable} ${at("text")} is not a private key ssh can use (unsupported key format)`],
    ["empty", `${variable} private key ${at("empty")} is empty`],
    ["plain.pub", `${variable} ${at("plain.pub")} is a public key (ssh-ed25519); the private key is needed`],
    ["locked", `${variable} private key ${at("locked")} is encrypted with a passphrase, and no ssh-agent`],
    ["folder", `${variable} private key ${at("folder")} is a directory, not a file`],
    ["fifo", `${variable} private key ${at("fifo")} is a FIFO (named pipe), not a file`],
    ["zero", `${variable} private key ${at("zero")} is a device, not a file`],
    ["missing", `${variable} private key ${at("missing")} does not exist`],
  ])("refuses %s", (name, error) => {
    withoutAgent(() => expect(() => checkConnectionFiles(settings({ keyFile: at(name) }))).toThrow(error));
  });

  it("never puts the key's text in a message", () => {
    writeFileSync(at("almost"), readFileSync(at("plain"), "utf8").replace("BEGIN", "BEGIM"));
    const error = (() => {
      try {
        readPrivateKey(at("almost"), "web1");
      } catch (e) {
        return (e as Error).message + (e as { hint?: string }).hint;
      }
    })();
    expect(error).toContain("is not a private key");
    const body = readFileSync(at("plain"), "utf8").split("\n")[1];
    expect(error).not.toContain(body.slice(0, 20));
  });

  it("checks the jump host's files too", () => {
    const jump = settings({ name: "bastion", keyFile: at("text") });
    expect(() => checkConnectionFiles(settings({ jump }))).toThrow(
      "host 'bastion': ansible_ssh_private_key_file",
    );
  });

  it("skips local hosts", () => {
    expect(() => checkConnectionFiles(settings({ connection: "local", keyFile: at("text") }))).not.toThrow();
  });
});

describe("known_hosts", () => {
  it("accepts a file that does not exist yet (accept-new creates it)", () => {
    expect(() => checkConnectionFiles(settings({ knownHostsFile: at("none") }))).not.toThrow();
  });

  it.each([
    ["folder", "is a directory, not a file"],
    ["fifo", "is a FIFO (named pipe), not a file"],
    ["zero", "is a device, not a file"],
  ])("refuses a known_hosts that is %s", (name, why) => {
    expect(() => checkConnectionFiles(settings({ knownHostsFile: at(name) }))).toThrow(
      `known_hosts file ${at(name)} ${why}`,
    );
  });
});

describe("a host that hangs up during the handshake", () => {
  it("is unreachable, every time (ssh2 reports it twice; neither may go unheard)", async () => {
    // Reset once the client has spoken: ssh2 then reports the reset, and the loss when the socket closes.
    const server = createServer((socket) => socket.once("data", () => socket.resetAndDestroy()));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as { port: number }).port;
    try {
      for (let i = 0; i < 20; i++) {
        await expect(connectSsh(settings({ port, keyFile: at("plain") }))).rejects.toThrow(UnreachableError);
      }
    } finally {
      server.close();
    }
  });
});
