import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { inventoryGraph, inventoryList } from "../../../src/config/ansible/inventory-json.ts";
import { readVaultSecret } from "../../../src/config/ansible/vault-secrets.ts";
import { loadInventory } from "../../../src/config/inventory.ts";
import { ConfigError, formatProblem } from "../../../src/config/problems.ts";
import { caseHash, inventoryCases, type InventoryExpected } from "../../ansible/inventory.cases.ts";

const expected = JSON.parse(readFileSync("test/ansible/inventory.expected.json", "utf8")).cases as Record<
  string,
  InventoryExpected
>;

/** The case's files in a new directory; returns it. */
function materialise(files: Record<string, string>, vaultPassword?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "lago-ansible-case-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  if (vaultPassword !== undefined) {
    writeFileSync(join(dir, "vault-pass"), vaultPassword + "\n");
    chmodSync(join(dir, "vault-pass"), 0o600);
  }
  return dir;
}

describe("inventories load as ansible-inventory --list loads them (ansible-core 2.14)", () => {
  for (const c of inventoryCases) {
    it(c.name, () => {
      const want = expected[c.name];
      expect(want?.hash, "the case changed: npx deno run -A test/ansible/generate.ts --only " + c.name).toBe(
        caseHash(c),
      );
      const dir = materialise(want.files ?? c.files, c.vault && (c.vault.decryptWith ?? c.vault.password));
      const sources = (c.sources ?? ["hosts"]).map((s) => (s.includes(",") ? s : join(dir, s)));
      const secrets = c.vault ? [readVaultSecret(join(dir, "vault-pass"))] : [];
      // Listed as ansible-inventory lists them: `!vault` values stay encrypted.
      const load = () => loadInventory(sources, { vault: { secrets, keepEncrypted: true } });
      if (c.refuse) {
        expect(load).toThrow(c.refuse);
        return;
      }
      if (want.error !== undefined) {
        // Ansible refuses it too: one message naming the file and line.
        let error: unknown;
        try {
          load();
        } catch (e) {
          error = e;
        }
        expect(error, `Ansible refuses it: ${want.error}`).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toMatch(/^\S+:\d+:\d+/);
        return;
      }
      const inventory = load();
      expect(inventoryList(inventory)).toEqual(want.list);
      if (c.graph) expect(inventoryGraph(inventory)).toBe(want.graph);
      const warnings = inventory.warnings.map(formatProblem);
      if (c.warns) expect(warnings.join("\n")).toMatch(c.warns);
      else expect(warnings, "warns only where the case says so").toEqual([]);
    });
  }
});

describe("Ansible Vault in inventories", () => {
  const load = (name: string, password?: string) => {
    const c = inventoryCases.find((x) => x.name === name)!;
    const dir = materialise(expected[name].files ?? c.files, password);
    const secrets = password === undefined ? [] : [readVaultSecret(join(dir, "vault-pass"))];
    return () => loadInventory((c.sources ?? ["hosts"]).map((s) => join(dir, s)), { vault: { secrets } });
  };

  it("decrypts !vault values and vault-encrypted files; their values are secrets (redacted)", () => {
    const inline = load("vault-inline-value", "correct horse")();
    expect(inline.hosts[0].vars.db_password).toBe("s3cr3t-inline");
    expect(inline.secrets.map((s) => s.value)).toEqual(["s3cr3t-inline"]);
    const file = load("vault-file", "correct horse")();
    expect(file.hosts[0].vars).toMatchObject({ vault_db_password: "s3cr3t-from-vault", db_user: "lago" });
    expect(file.secrets.map((s) => s.value).sort()).toEqual(["s3cr3t-from-vault", "tok-123456"]);
    expect(load("vault-id-1.2", "pw-prod")().hosts[0].vars.secret).toBe("from-1.2");
  });

  it("says which file needs which password, and how to give it", () => {
    expect(load("vault-file")).toThrow(
      /group_vars\/all\/vault\.yml:1:1: it is encrypted with ansible-vault: give the password with --vault-password-file FILE \(or ANSIBLE_VAULT_PASSWORD_FILE\)$/,
    );
    expect(load("vault-inline-value")).toThrow(
      /hosts\.yml:4:20: !vault value: it is encrypted with ansible-vault/,
    );
    expect(load("vault-file", "wrong")).toThrow(
      /vault\.yml:1:1: no vault password given decrypts it: tried \S*vault-pass$/,
    );
  });
});
