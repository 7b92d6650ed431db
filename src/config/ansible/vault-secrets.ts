/**
 * Vault passwords as Ansible takes them: `--vault-password-file FILE` (repeatable),
 * `--vault-id [ID@]FILE`, or `ANSIBLE_VAULT_PASSWORD_FILE`. A file holds the password (surrounding
 * blanks and line ends dropped); an executable file is a script whose output is the password (a
 * `…-client` script is given `--vault-id ID`, as Ansible gives it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { UserError } from "../../core/errors.ts";
import { env } from "../../runtime.ts";
import { displayPath } from "../problems.ts";
import type { VaultSecret } from "./vault.ts";

/** `ID@FILE` or `FILE` (vault id `default`). */
export function parseVaultId(spec: string): { id: string; file: string } {
  const at = spec.indexOf("@");
  return at > 0 ? { id: spec.slice(0, at), file: spec.slice(at + 1) } : { id: "default", file: spec };
}

/** Read one password file or run one password script. */
export function readVaultSecret(spec: string, flag = "--vault-password-file"): VaultSecret {
  const { id, file } = parseVaultId(spec);
  const shown = displayPath(file);
  if (file === "prompt") {
    throw new UserError(
      `${flag} ${spec}: prompting for the vault password is not supported`,
      "put it in a file readable only by you, or a script that prints it",
    );
  }
  if (!existsSync(file)) throw new UserError(`${flag}: the vault password file ${shown} does not exist`);
  if (!statSync(file).isFile()) throw new UserError(`${flag}: ${shown} is not a file`);
  let bytes: Uint8Array;
  if ((statSync(file).mode & 0o111) !== 0) {
    const args = basename(file, extname(file)).endsWith("-client") ? ["--vault-id", id] : [];
    try {
      bytes = execFileSync(file, args, { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      const status = (e as { status?: number }).status;
      throw new UserError(
        `${flag}: the vault password script ${shown} failed${status ? ` (exit ${status})` : ""}`,
      );
    }
    bytes = trimBytes(bytes, "\r\n");
  } else {
    bytes = trimBytes(trimBytes(readFileSync(file), " \t\r\n\v\f"), "\r\n");
  }
  if (bytes.length === 0) throw new UserError(`${flag}: the vault password in ${shown} is empty`);
  return { id, password: bytes, source: shown };
}

/** The passwords `--vault-password-file` and `--vault-id` name, in order (each file read, each script run, once). */
export function vaultSecretsFromOptions(
  o: { vaultPasswordFile?: string[]; vaultId?: string[] },
): VaultSecret[] {
  return [
    ...(o.vaultPasswordFile ?? []).map((f) => readVaultSecret(f)),
    ...(o.vaultId ?? []).map((f) => readVaultSecret(f, "--vault-id")),
  ];
}

/** The passwords named by ANSIBLE_VAULT_PASSWORD_FILE (none when it is not set). */
export function vaultSecretsFromEnv(): VaultSecret[] {
  const file = env().ANSIBLE_VAULT_PASSWORD_FILE;
  return file ? [readVaultSecret(file, "ANSIBLE_VAULT_PASSWORD_FILE")] : [];
}

function trimBytes(bytes: Uint8Array, chars: string): Uint8Array {
  const strip = new Set([...chars].map((c) => c.charCodeAt(0)));
  let [start, end] = [0, bytes.length];
  while (start < end && strip.has(bytes[start])) start++;
  while (end > start && strip.has(bytes[end - 1])) end--;
  return bytes.subarray(start, end);
}
