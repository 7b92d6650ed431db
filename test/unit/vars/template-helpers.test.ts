/** The URL and string helpers of templates (src/vars/template.ts), as data: [template, variables, output]. */
import { describe, expect, it } from "vitest";
import { renderText } from "../../../src/vars/template.ts";

const cases: [string, Record<string, unknown>, string][] = [
  ["{{userinfo u p}}", { u: "lago", p: "pa:ss@/%" }, "lago:pa%3Ass%40%2F%25@"],
  ["{{userinfo '' p}}", { p: "secret" }, ":secret@"],
  ["{{userinfo u ''}}", { u: "lago" }, "lago@"],
  ["{{userinfo '' p}}", { p: "" }, ""],
  // A password that is itself a template is rendered first: an empty one is seen as empty.
  ["redis://{{userinfo '' p}}host", { p: "{{ q }}", q: "" }, "redis://host"],
  ["redis://{{userinfo '' p}}host", { p: "{{ q }}", q: "x y" }, "redis://:x%20y@host"],
  ["{{upper (replace s '-' '_')}}", { s: "api-events-worker" }, "API_EVENTS_WORKER"],
  ["{{concat 'api-' q '-worker'}}", { q: "pdfs" }, "api-pdfs-worker"],
];

describe("template helpers", () => {
  for (const [template, vars, out] of cases) {
    it(`${template} with ${JSON.stringify(vars)}`, () => expect(renderText(template, vars, "t")).toBe(out));
  }
});
