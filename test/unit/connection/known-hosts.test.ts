import { describe, expect, it } from "vitest";
import { lookupKnownHosts } from "../../../src/connection/known-hosts.ts";

// Hashed names as `ssh-keygen -H` writes them, with the salt 00 01 … 13.
const HASHED_WEB1 = "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|srCyIFmd9t5QXjBFC5rLR+wMbtY=";
const HASHED_WEB1_2222 = "|1|AAECAwQFBgcICQoLDA0ODxAREhM=|ZOmXM1mqq8BcPhkTKbp5SYtNmLY=";

describe("known_hosts lookup as ssh does it", () => {
  const text = [
    "# comment",
    `${HASHED_WEB1} ssh-ed25519 HASHED22`,
    `${HASHED_WEB1_2222} ssh-ed25519 HASHED2222`,
    "web1.lan,10.0.0.1 ssh-rsa PLAIN",
    "*.prod.lan,!db*.prod.lan ssh-ed25519 WILD",
    "[web?.lan]:2222 ecdsa-sha2-nistp256 PORTWILD",
    "@revoked * ssh-ed25519 STOLEN",
    "@cert-authority *.ca.lan ssh-ed25519 CAKEY",
  ].join("\n");
  const table: [string, number, string[], number[], number[]][] = [
    // host, port, keys, revoked lines, @cert-authority lines
    ["web1.lan", 22, ["HASHED22", "PLAIN"], [7], []],
    ["WEB1.lan", 22, ["HASHED22", "PLAIN"], [7], []],
    ["web1.lan", 2222, ["HASHED2222", "PORTWILD"], [7], []],
    ["10.0.0.1", 22, ["PLAIN"], [7], []],
    ["app.prod.lan", 22, ["WILD"], [7], []],
    ["db1.prod.lan", 22, [], [7], []],
    ["x.ca.lan", 22, [], [7], [8]],
    ["other", 22, [], [7], []],
  ];
  for (const [host, port, keys, revoked, ca] of table) {
    it(`${host}:${port}`, () => {
      const found = lookupKnownHosts(text, host, port);
      expect(found.keys.map((k) => k.key)).toEqual(keys);
      expect(found.revoked.map((k) => k.line)).toEqual(revoked);
      expect(found.certAuthorities).toEqual(ca);
    });
  }
});
