/**
 * SSH transport over ssh2: one connection per host, reused for every task; host keys checked against
 * known_hosts (refused when unknown in strict mode, always refused when changed); key file, ssh-agent
 * or a password from an environment variable; optional jump host.
 */
import { Buffer } from "node:buffer";
import type { Duplex } from "node:stream";
import { Client, type ConnectConfig } from "ssh2";
import type { Connection, ExecOptions, ExecResult } from "../core/types.ts";
import { env } from "../runtime.ts";
import { readPrivateKey } from "./credentials.ts";
import {
  findKnownKeys,
  fingerprint,
  hostPattern,
  keyTypeOfBlob,
  readKnownHosts,
  recordKnownKey,
} from "./known-hosts.ts";
import type { ConnectionSettings } from "./settings.ts";
import { countOn } from "../core/stats.ts";
import { UnreachableError } from "../core/errors.ts";

export { UnreachableError };

class SshConnection implements Connection {
  roundTrips = 0;
  private closed = false;
  private broken: Error | null = null;

  constructor(readonly name: string, private client: Client, private jumpClient?: Client) {
    countOn(name, "connections");
    client.on("error", (e) => (this.broken = e));
    client.on("close", () => (this.broken ??= new Error("connection closed")));
  }

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.broken) {
      return Promise.reject(new UnreachableError(`${this.name}: connection lost (${this.broken.message})`));
    }
    this.roundTrips++;
    countOn(this.name, "roundTrips");
    return new Promise((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.client.exec(script, (err, channel) => {
        if (err) return reject(new UnreachableError(`${this.name}: ${err.message}`));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let exitCode: number | null = null;
        if (options.timeoutMs) {
          timer = setTimeout(() => {
            channel.close();
            reject(new UnreachableError(`${this.name}: command timed out after ${options.timeoutMs} ms`));
          }, options.timeoutMs);
        }
        channel.on("data", (d: Buffer) => out.push(d));
        channel.stderr.on("data", (d: Buffer) => errOut.push(d));
        channel.on("exit", (code: number | null, signal?: string) => {
          exitCode = code ?? (signal ? 128 : 255);
        });
        channel.on("close", () => {
          if (timer) clearTimeout(timer);
          if (exitCode === null && this.broken) {
            return reject(new UnreachableError(`${this.name}: connection lost (${this.broken.message})`));
          }
          resolve({
            exitCode: exitCode ?? 255,
            stdout: Buffer.concat(out).toString("utf8"),
            stderr: Buffer.concat(errOut).toString("utf8"),
          });
        });
        if (options.stdin !== undefined) channel.end(options.stdin);
        else channel.end();
      });
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.client.end();
    this.jumpClient?.end();
    return Promise.resolve();
  }
}

/** Verifies the server's host key; remembers why it refused so the error can say so. */
function hostKeyPolicy(s: ConnectionSettings) {
  const state: { refusal?: UnreachableError } = {};
  const known = findKnownKeys(readKnownHosts(s.knownHostsFile), s.host, s.port);
  const verify = (blob: Buffer): boolean => {
    const offered = { type: keyTypeOfBlob(blob), key: blob.toString("base64") };
    if (known.some((k) => k.key === offered.key)) return true;
    const name = hostPattern(s.host, s.port);
    if (known.length > 0) {
      state.refusal = new UnreachableError(
        `${s.name}: HOST KEY CHANGED for ${name}: it now offers ${offered.type} ${
          fingerprint(offered.key)
        }, ` +
          `which differs from the key recorded in ${s.knownHostsFile}. Refusing to connect (possible man-in-the-middle).`,
        `if the host was really reinstalled, remove its line with: ssh-keygen -R '${name}' -f ${s.knownHostsFile}`,
      );
      return false;
    }
    if (s.hostKeyChecking === "accept-new") {
      recordKnownKey(s.knownHostsFile, s.host, s.port, offered);
      return true;
    }
    state.refusal = new UnreachableError(
      `${s.name}: unknown host key for ${name} (${offered.type} ${
        fingerprint(offered.key)
      }), not in ${s.knownHostsFile}`,
      `verify the fingerprint, then re-run with --accept-new-host-keys (or host_key_checking: accept-new) to record it`,
    );
    return false;
  };
  // Ask only for the key types we have on record, so a host with several keys is not misjudged.
  const serverHostKey = known.length > 0 ? [...new Set(known.map((k) => k.type))] : undefined;
  return { verify, serverHostKey, state };
}

function authConfig(s: ConnectionSettings): Partial<ConnectConfig> {
  const auth: Partial<ConnectConfig> = {};
  // Read once per process (checkConnectionFiles did it before any host was contacted).
  const key = s.keyFile ? readPrivateKey(s.keyFile, s.name) : undefined;
  if (key instanceof Buffer) auth.privateKey = key;
  const agent = env().SSH_AUTH_SOCK;
  if (agent) auth.agent = agent;
  if (s.passwordEnv) {
    const password = env()[s.passwordEnv];
    if (password === undefined) {
      throw new UnreachableError(
        `${s.name}: the environment variable ${s.passwordEnv} (SSH password) is not set`,
      );
    }
    auth.password = password;
  }
  if (!auth.privateKey && !auth.agent && !auth.password) {
    throw new UnreachableError(
      `${s.name}: no way to authenticate`,
      "set ansible_ssh_private_key_file, start an ssh-agent, or name a password variable with ssh_password_env",
    );
  }
  return auth;
}

function connectClient(s: ConnectionSettings, sock?: Duplex): Promise<Client> {
  const policy = hostKeyPolicy(s);
  const config: ConnectConfig = {
    host: s.host,
    port: s.port,
    username: s.user,
    readyTimeout: s.connectTimeoutMs ?? 15_000,
    keepaliveInterval: 10_000,
    keepaliveCountMax: 3,
    hostVerifier: (key: Buffer) => policy.verify(key),
    ...authConfig(s),
    ...(sock ? { sock } : {}),
    ...(policy.serverHostKey ? { algorithms: { serverHostKey: policy.serverHostKey as never } } : {}),
  };
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once("ready", () => resolve(client));
    // `on`, not `once`: a host that hangs up mid-handshake makes ssh2 emit a second error (reset,
    // then "lost before handshake"), and an error event nobody listens to ends the process.
    client.on("error", (e: Error & { level?: string }) => {
      client.end();
      if (policy.state.refusal) return reject(policy.state.refusal);
      reject(describeConnectError(s, e));
    });
    client.connect(config);
    // The handshake and every command after it are small request/response exchanges: without
    // TCP_NODELAY, Nagle's algorithm and the peer's delayed ACK add about 40 ms to each of them. Set
    // before the socket connects (Node applies it on connect), so the handshake gains too.
    client.setNoDelay(true);
  });
}

function describeConnectError(
  s: ConnectionSettings,
  e: Error & { level?: string; code?: string },
): UnreachableError {
  const where = `${s.user}@${s.host}:${s.port}`;
  if (e.level === "client-authentication") {
    return new UnreachableError(
      `${s.name}: authentication failed for ${where}`,
      "check the user and key for this host",
    );
  }
  if (e.code === "ECONNREFUSED") {
    return new UnreachableError(`${s.name}: connection refused by ${where}`, "is sshd running?");
  }
  if (/Timed out/i.test(e.message)) {
    return new UnreachableError(`${s.name}: timed out connecting to ${where}`);
  }
  return new UnreachableError(`${s.name}: cannot connect to ${where}: ${e.message}`);
}

export async function connectSsh(s: ConnectionSettings): Promise<Connection> {
  if (!s.jump) return new SshConnection(s.name, await connectClient(s));
  const jumpClient = await connectClient(s.jump);
  const stream = await new Promise<Duplex>((resolve, reject) =>
    jumpClient.forwardOut(
      "127.0.0.1",
      0,
      s.host,
      s.port,
      (err, ch) =>
        err
          ? reject(
            new UnreachableError(
              `${s.name}: jump host ${s.jump!.name} cannot reach ${s.host}:${s.port}: ${err.message}`,
            ),
          )
          : resolve(ch),
    )
  );
  return new SshConnection(s.name, await connectClient(s, stream), jumpClient);
}
