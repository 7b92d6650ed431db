/**
 * Worker thread of src/lint/parallel.ts: compiles the playbook, tasks and handlers validators as soon
 * as it starts (the slowest part of a lint run), then validates the files it is sent, exactly as apply
 * does, and answers with each file's problems.
 */
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import type { FileKind } from "../config/json-schema.ts";
import { ConfigError } from "../config/problems.ts";
import { validateDocument } from "../config/validate.ts";
import { parseYaml } from "../config/yaml.ts";
import type { SchemaJob } from "./parallel.ts";

const warmUp = parseYaml("[]", "warm-up");
for (const kind of ["playbook", "tasks", "handlers"] as FileKind[]) validateDocument(warmUp, kind);

parentPort!.on("message", (jobs: SchemaJob[]) => {
  parentPort!.postMessage(jobs.map((job) => {
    try {
      return validateDocument(parseYaml(readFileSync(job.abs, "utf8"), job.file), job.kind);
    } catch (e) {
      if (e instanceof ConfigError) return []; // does not parse: the main thread reports it
      throw e;
    }
  }));
});
