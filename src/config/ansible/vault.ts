/**
 * Ansible Vault decryption (`$ANSIBLE_VAULT;1.1;AES256` and 1.2 with a vault id), as ansible-vault
 * writes it: the hex body holds salt, HMAC and ciphertext; PBKDF2-HMAC-SHA256 (10,000 iterations)
 * derives the AES-256 key, the HMAC-SHA256 key and the CTR counter; the HMAC is checked before anything
 * is decrypted. Only node:crypto does cryptography here. Pure: text and passwords in, text out.
 */
import { Buffer } from "node:buffer";
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from "node:crypto";

export const VAULT_HEADER = "$ANSIBLE_VAULT";

/** A vault password, with where it came from (for messages) and its vault id (`default` if none). */
export interface VaultSecret {
  id: string;
  password: Uint8Array;
  /** The password file or script, as shown in messages. */
  source: string;
}

export class VaultError extends Error {}

/** Is this text (a file, or a `!vault` value) vault-encrypted? */
export const isVaultText = (text: string): boolean => text.trimStart().startsWith(VAULT_HEADER);

interface Envelope {
  version: string;
  cipher: string;
  vaultId?: string;
  body: string;
}

function parseEnvelope(text: string): Envelope {
  const lines = text.trim().split(/\r?\n/);
  const header = lines[0].trim().split(";").map((s) => s.trim());
  if (header[0] !== VAULT_HEADER || header.length < 3) {
    throw new VaultError("not an Ansible Vault header (expected $ANSIBLE_VAULT;1.1;AES256)");
  }
  return {
    version: header[1],
    cipher: header[2],
    vaultId: header[3],
    body: lines.slice(1).map((l) => l.trim()).join(""),
  };
}

const unhex = (text: string, what: string): Buffer => {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) {
    throw new VaultError(`the vault data is damaged (${what} is not hex)`);
  }
  return Buffer.from(text, "hex");
};

/**
 * The plaintext of vault-encrypted `text`, trying the secret whose id the envelope names first, then
 * the others (as Ansible does). Throws a VaultError saying what is wrong, never the plaintext.
 */
export function decryptVault(text: string, secrets: VaultSecret[]): string {
  const envelope = parseEnvelope(text);
  if (envelope.version !== "1.1" && envelope.version !== "1.2") {
    throw new VaultError(`vault format ${envelope.version} is not supported (1.1 and 1.2 are)`);
  }
  if (envelope.cipher !== "AES256") {
    throw new VaultError(`vault cipher ${envelope.cipher} is not supported (AES256 is)`);
  }
  if (secrets.length === 0) {
    throw new VaultError(
      "it is encrypted with ansible-vault: give the password with --vault-password-file FILE " +
        "(or ANSIBLE_VAULT_PASSWORD_FILE)",
    );
  }
  const fields = unhex(envelope.body, "the body").toString("latin1").split("\n");
  if (fields.length < 3) throw new VaultError("the vault data is damaged (salt, HMAC and data expected)");
  const [salt, hmac] = [unhex(fields[0], "the salt"), unhex(fields[1], "the HMAC")];
  const ciphertext = unhex(fields.slice(2).join("\n"), "the data");
  const ordered = [
    ...secrets.filter((s) => s.id === envelope.vaultId),
    ...secrets.filter((s) => s.id !== envelope.vaultId),
  ];
  for (const secret of ordered) {
    const derived = pbkdf2Sync(secret.password, salt, 10_000, 80, "sha256");
    const [key, hmacKey, counter] = [
      derived.subarray(0, 32),
      derived.subarray(32, 64),
      derived.subarray(64, 80),
    ];
    const expected = createHmac("sha256", hmacKey).update(ciphertext).digest();
    if (expected.length !== hmac.length || !timingSafeEqual(expected, hmac)) continue;
    const decipher = createDecipheriv("aes-256-ctr", key, counter);
    const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return new TextDecoder("utf-8", { fatal: true }).decode(unpad(padded));
  }
  const tried = ordered.map((s) => s.source).join(", ");
  const id = envelope.vaultId ? ` (vault id '${envelope.vaultId}')` : "";
  throw new VaultError(`no vault password given decrypts it${id}: tried ${tried}`);
}

/** PKCS#7 padding of 16-byte blocks. */
function unpad(data: Buffer): Buffer {
  const n = data[data.length - 1];
  if (!n || n > 16 || n > data.length || data.subarray(data.length - n).some((b) => b !== n)) {
    throw new VaultError("the vault data is damaged (bad padding)");
  }
  return data.subarray(0, data.length - n);
}
