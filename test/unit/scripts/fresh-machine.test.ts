import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readmeCommands } from "../../../scripts/lib/fresh-machine.ts";

const readme = (tryIt: string, test: string) =>
  `# x\n\n## Try it\n\nintro\n\n\`\`\`sh\n${tryIt}\n\`\`\`\n\n## Test\n\n\`\`\`sh\n${test}\n\`\`\`\n\n## Usage\n`;

describe("readmeCommands: the two commands a new user copies from the README", () => {
  it.each([
    {
      name: "comments cut",
      text: readme("npm install && npm run demo      # Lago on two hosts", "npm test"),
      want: { demo: "npm install && npm run demo", test: "npm test" },
    },
    {
      name: "the demo line among others",
      text: readme("# first\nexport X=1\nnpm run build && npm run demo", "npm test -- --run\nnpm run check"),
      want: { demo: "npm run build && npm run demo", test: "npm test -- --run" },
    },
  ])("$name", ({ text, want }) => expect(readmeCommands(text)).toEqual(want));

  it.each([
    { name: "no demo command", text: readme("npm install", "npm test"), error: /no `npm run demo` command/ },
    { name: "no Test section", text: "## Try it\n```sh\nnpm run demo\n```\n", error: /under "## Test"/ },
  ])("$name", ({ text, error }) => expect(() => readmeCommands(text)).toThrow(error));

  it("reads this repository's README (what `npm run fresh-machine` runs)", () => {
    expect(readmeCommands(readFileSync("README.md", "utf8"))).toEqual({
      demo: "npm install && npm run build && npm run demo",
      test: "npm test",
    });
  });
});
