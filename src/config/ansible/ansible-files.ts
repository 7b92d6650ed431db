/**
 * Reading a file the way Ansible's loader does: a file encrypted with ansible-vault is decrypted
 * first, then YAML 1.1 with `!vault` and `!unsafe`. Every value that was encrypted (the whole file,
 * or a `!vault` value) is collected as a secret, so it is redacted wherever it would be shown.
 */
import { readTextFile } from "../../core/files.ts";
import { countRead } from "../../core/stats.ts";
import type { Secret } from "../../output/redact.ts";
import { ConfigError, displayPath } from "../problems.ts";
import { MAX_CONFIG_BYTES, parseYaml, type YamlFile } from "../yaml.ts";
import { decryptVault, isVaultText, VaultError, type VaultSecret } from "./vault.ts";

export interface VaultOptions {
  /** Passwords to decrypt with (--vault-password-file, ANSIBLE_VAULT_PASSWORD_FILE). */
  secrets: VaultSecret[];
  /**
   * Keep `!vault` values encrypted, shown as `{"__ansible_vault": "…"}` as ansible-inventory shows
   * them (for listing an inventory without decrypting what it does not need).
   */
  keepEncrypted?: boolean;
}

/** What reading files found besides their values. */
export interface ReadFindings {
  /** Decrypted values: redacted in every output. */
  secrets: Secret[];
  /** Files that were encrypted as a whole. */
  encryptedFiles: string[];
  /** Texts marked `!unsafe`: used as they are, never templated. */
  unsafe: string[];
}

export const newFindings = (): ReadFindings => ({ secrets: [], encryptedFiles: [], unsafe: [] });

/** A file's text, decrypted when ansible-vault encrypted it. */
export function readAnsibleText(
  path: string,
  vault: VaultOptions,
  found: ReadFindings,
): { text: string; file: string; encrypted: boolean } {
  const file = displayPath(path);
  countRead(path);
  // A regular file of bounded size only: a FIFO or /dev/zero must not hang or fill the controller.
  const raw = readTextFile(path, { what: "inventory file", maxBytes: MAX_CONFIG_BYTES });
  if (!isVaultText(raw)) return { text: raw, file, encrypted: false };
  try {
    const text = decryptVault(raw, vault.secrets);
    found.encryptedFiles.push(file);
    return { text, file, encrypted: true };
  } catch (e) {
    if (e instanceof VaultError) {
      throw new ConfigError([{ file, line: 1, col: 1, path: "", message: e.message }]);
    }
    throw e;
  }
}

/** Parse YAML text as Ansible does; `encrypted`: every value in it is a secret. */
export function parseAnsibleYaml(
  text: string,
  file: string,
  vault: VaultOptions,
  found: ReadFindings,
  encrypted = false,
): YamlFile {
  const doc = parseYaml(text, file, {
    ansible: {
      vault: (ciphertext) => {
        if (vault.keepEncrypted) return { __ansible_vault: ciphertext };
        try {
          const plain = decryptVault(ciphertext, vault.secrets);
          found.secrets.push({ name: "vault", value: plain });
          return plain;
        } catch (e) {
          if (e instanceof VaultError) throw new Error(`!vault value: ${e.message}`);
          throw e;
        }
      },
      unsafe: (text) => void found.unsafe.push(text),
    },
  });
  if (encrypted) collectLeaves(doc.value, "", found.secrets);
  return doc;
}

/** Read a YAML file (decrypting it when it is vault-encrypted). */
export function readAnsibleYaml(path: string, vault: VaultOptions, found: ReadFindings): YamlFile {
  const { text, file, encrypted } = readAnsibleText(path, vault, found);
  return parseAnsibleYaml(text, file, vault, found, encrypted);
}

function collectLeaves(value: unknown, path: string, into: Secret[]): void {
  if (typeof value === "string" || typeof value === "number") {
    into.push({ name: path || "vault", value: String(value) });
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) collectLeaves(v, path ? `${path}.${k}` : k, into);
  }
}
