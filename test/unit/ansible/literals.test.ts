import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { iniValue } from "../../../src/config/ansible/python-literal.ts";
import { literalCases } from "../../ansible/literal.cases.ts";

const expected = JSON.parse(readFileSync("test/ansible/literal.expected.json", "utf8")).values as Record<
  string,
  unknown
>;

describe("INI values are typed as Ansible's INI plugin types them (ansible-core 2.14)", () => {
  it("has an expected value from Ansible for every case (else: npx deno run -A test/ansible/generate.ts)", () => {
    expect(Object.keys(expected).sort()).toEqual([...literalCases].sort());
  });

  for (const text of literalCases) {
    it(text, () => {
      const want = expected[text] as { error?: string } | unknown;
      const got = iniValue(text);
      if (want && typeof want === "object" && "error" in (want as object)) {
        // Ansible fails on it (no JSON form): we refuse it with a reason.
        expect(got.kind).toBe("unsupported");
      } else {
        expect(got.kind === "value" ? got.value : text).toEqual(want);
      }
    });
  }
});
