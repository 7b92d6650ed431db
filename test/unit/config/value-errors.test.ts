/**
 * Errors about a value name the variable and say what is wrong, never show the value or a part of it
 * (issue 19, part 3): every error path of `-e`, of inventory connection variables, of a template whose
 * variables form a cycle, of YAML files, and of the fleet topology.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseExtraVars } from "../../../src/config/extra-vars.ts";
import { resolveConnection } from "../../../src/config/connection-vars.ts";
import { parseYaml } from "../../../src/config/yaml.ts";
import { UserError } from "../../../src/core/types.ts";
import { evaluate, parseExpression } from "../../../src/vars/expression.ts";
import { renderString } from "../../../src/vars/template.ts";

/** In every value below; no message or hint may contain any of it. */
const SECRET = "s3cr3tVALUE";

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error("no error");
}

function expectNoSecret(e: { message: string; hint?: string }) {
  const text = `${e.message}\n${e.hint ?? ""}`;
  for (let n = 4; n <= SECRET.length; n++) expect(text).not.toContain(SECRET.slice(0, n));
}

const dir = mkdtempSync(join(tmpdir(), "lago-value-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("-e", () => {
  it.each([
    [
      "a value YAML cannot start with",
      [`db_password=@${SECRET}`],
      /^-e db_password: the value is not valid YAML at column 1: Plain value cannot start with reserved character @$/,
    ],
    [
      "a list not closed",
      [`api_token=[${SECRET}`],
      /^-e api_token: the value is not valid YAML at column \d+: Flow sequence must end with a \]$/,
    ],
    [
      "a bad escape in double quotes",
      [`pw='"${SECRET}\\q"'`],
      /^-e pw: the value is not valid YAML at column \d+: invalid escape sequence in a double-quoted string$/,
    ],
    [
      "an unknown tag",
      [`pw=!${SECRET}`],
      /^-e pw: the value is not valid YAML at column 1: unknown tag \(a value starting with !: quote it\)$/,
    ],
    [
      "a stray closing bracket",
      [`pw=[1]]${SECRET}`],
      /^-e pw: the value is not valid YAML at column \d+: Unexpected flow-seq-end token in YAML stream$/,
    ],
    ["a quote not closed", [`pw='${SECRET}`], /^-e pw: a quote is not closed \(the value is not shown\)$/],
    ["a quote not closed, no name", [`'${SECRET}`], /^-e \(the 1st -e\): a quote is not closed/],
    [
      "no NAME=",
      [`${SECRET}`],
      /^the 1st -e: expected NAME=value, a JSON\/YAML mapping or @file\.yml \(the value is not shown\)$/,
    ],
    ["no NAME= in the 2nd", ["a=1", `${SECRET}:x`], /^the 2nd -e: expected NAME=value/],
    ["one bad pair among good ones", [`a=1 token={${SECRET}`], /^-e token: the value is not valid YAML/],
    [
      "a mapping that is not valid YAML",
      [`{"pw": "${SECRET}\\q"}`],
      /^the 1st -e \(a mapping\): the mapping is not valid YAML at column \d+: invalid escape/,
    ],
    [
      "a flow mapping not closed",
      [`{pw: ${SECRET}`],
      /^the 1st -e \(a mapping\): the mapping is not valid YAML at column \d+: Flow map must end with a \}$/,
    ],
  ])("%s", (_what, values, message) => {
    const warn = vi.spyOn(process, "emitWarning");
    const e = errorOf(() => parseExtraVars(values));
    expect(e.message).toMatch(message);
    expectNoSecret(e);
    // The yaml library prints warnings with the text around them: none may be emitted.
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it.each([
    [
      "not valid YAML",
      `db_password: "${SECRET}\\q"\n`,
      /^-e @.*bad\.yml: the file is not valid YAML at line 1, column \d+: invalid escape/,
    ],
    [
      "a list",
      `- ${SECRET}\n`,
      /^-e @.*bad\.yml: expected a mapping of variables \(NAME: value\), got a list$/,
    ],
    [
      "a scalar",
      `${SECRET}\n`,
      /^-e @.*bad\.yml: expected a mapping of variables \(NAME: value\), got a string$/,
    ],
  ])("@file: %s", (_what, text, message) => {
    const e = errorOf(() => parseExtraVars([`@${file("bad.yml", text)}`]));
    expect(e.message).toMatch(message);
    expectNoSecret(e);
  });

  it("@file that cannot be read names the file", () => {
    // Read as every local file is (src/core/files.ts): the file, and what is wrong with it.
    expect(errorOf(() => parseExtraVars([`@${join(dir, "none.yml")}`])).message).toBe(
      `-e file ${join(dir, "none.yml")} does not exist`,
    );
  });

  it("a mapping -e that is not a mapping", () => {
    expect(errorOf(() => parseExtraVars([`{"a": 1} extra`])).message).toMatch(/^the 1st -e/);
  });

  it.each([
    [["a=1 b=true c=text d='two words' e="], { a: 1, b: true, c: "text", d: "two words", e: "" }],
    [['{"pw": "x\'y", "n": 2}'], { pw: "x'y", n: 2 }],
    [[`pw="a\\"b"`], { pw: 'a"b' }],
    [["pw='it''s'"], { pw: "its" }],
    [["a=1", "a=2"], { a: 2 }],
  ])("still reads %j", (values, expected) => {
    expect(parseExtraVars(values)).toEqual(expected);
  });

  it("@file with a mapping", () => {
    expect(parseExtraVars([`@${file("ok.yml", "pw: x\nn: 1\n")}`])).toEqual({ pw: "x", n: 1 });
  });
});

describe("inventory connection variables", () => {
  it.each([
    [
      "ansible_port text",
      { ansible_port: SECRET },
      /^host 'h': ansible_port should be an integer from 1 to 65535, got text$/,
    ],
    ["ansible_port out of range", { ansible_port: 70000 }, /got a number out of that range$/],
    [
      "ansible_user a list",
      { ansible_user: [SECRET] },
      /^host 'h': ansible_user should be a non-empty string, got a list$/,
    ],
    ["ansible_user empty", { ansible_user: "" }, /got an empty string$/],
    [
      "host_key_checking",
      { host_key_checking: SECRET },
      /^host 'h': host_key_checking should be one of strict, accept-new, got something else$/,
    ],
    [
      "ansible_connection",
      { ansible_connection: SECRET },
      /^host 'h': ansible_connection should be one of ssh, local/,
    ],
    [
      "jump_host",
      { jump_host: `${SECRET}:notaport` },
      /^host 'h': jump_host should be user@host:port or the name of an inventory host$/,
    ],
    [
      "ansible_become_method",
      { ansible_become_method: SECRET },
      /^host 'h': ansible_become_method should be sudo/,
    ],
    [
      "a word of ansible_ssh_common_args",
      { ansible_ssh_common_args: `-o User=x ${SECRET}` },
      /^host 'h': ansible_ssh_common_args: a word that is not an ssh option is not supported/,
    ],
    [
      "ansible_ssh_extra_args that do not parse",
      { ansible_ssh_extra_args: `-o "User=${SECRET}` },
      /^host 'h': ansible_ssh_extra_args: cannot be read as a command line/,
    ],
    [
      "an -o option without a value",
      { ansible_ssh_args: `-o ${SECRET}` },
      /^host 'h': ansible_ssh_args: each -o option should be Key=Value$/,
    ],
    [
      "a ProxyCommand",
      { ansible_ssh_common_args: `-o ProxyCommand="sshpass -p ${SECRET} ssh -W %h:%p b"` },
      /^host 'h': its ProxyCommand is not supported/,
    ],
    [
      "the connection timeout",
      { ansible_timeout: SECRET },
      /^host 'h': the connection timeout should be a number of seconds, got text$/,
    ],
  ])("%s", (_what, vars, message) => {
    const e = errorOf(() =>
      resolveConnection("h", vars as Record<string, unknown>, { home: dir, user: "me", sshConfig: [] })
    );
    expect(e.message).toMatch(message);
    expectNoSecret(e);
  });
});

describe("templates and YAML files", () => {
  it("variables in a cycle: their names, not their text", () => {
    const vars = { a: `x-${SECRET}-{{ b }}`, b: "y-{{ a }}" };
    const e = errorOf(() => renderString("{{ a }}", vars, "task 'x'"));
    // The one scope names the cycle, variable by variable (src/vars/scope.ts).
    expect(e.message).toBe("task 'x': variables refer to each other in a cycle: a → b → a");
    expectNoSecret(e);
  });

  it.each([
    ["a bad escape", `db_password: "${SECRET}\\q"\n`, /YAML syntax error: invalid escape sequence/],
    [
      "a block scalar header",
      `key: |${SECRET}\n  text\n`,
      /YAML syntax error: block scalar header includes extra characters$/,
    ],
    ["an unexpected token", `key: [a]]${SECRET}\n`, /YAML syntax error: /],
  ])("a YAML file with %s", (_what, text, message) => {
    let err: Error | undefined;
    try {
      parseYaml(text, "inventory.yml");
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    expectNoSecret({ message: err!.message });
  });
});

describe("conditions", () => {
  it.each([
    [
      "a variable against a literal",
      `lago_version is version('1.50.0', '<')`,
      { lago_version: `v${SECRET}` },
      "cannot compare lago_version with '1.50.0' as versions: part 1 is letters in lago_version but digits in '1.50.0'",
    ],
    [
      "two variables, digits on the left",
      `docker.version is version(wanted, '>=')`,
      { docker: { version: "24.0" }, wanted: `${SECRET}` },
      "cannot compare docker.version with wanted as versions: part 1 is letters in wanted but digits in docker.version",
    ],
    [
      "an operator from a variable",
      `'1.2' is version('1.3', op)`,
      { op: SECRET },
      "the 'version' test: op is not an operator it knows",
    ],
  ])("the version test: %s names the variables", (_what, condition, vars, message) => {
    const e = errorOf(() => evaluate(parseExpression(condition), vars));
    expect(e.message).toContain(message);
    expectNoSecret(e);
  });
});
