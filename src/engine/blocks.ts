/**
 * A play's tasks as the engine runs them: the loader gives a flat list in which each task knows the
 * blocks it is in (src/config/model.ts, `blocks`); this puts the blocks back around their tasks, so
 * the run can skip the rest of a block on a host that failed in it, run its rescue there, and its
 * always everywhere. Pure.
 */
import type { Task } from "../config/model.ts";

export type Step = { task: Task } | { block: Block };

export interface Block {
  id: number;
  body: Step[];
  rescue: Step[];
  always: Step[];
}

/** The steps of `tasks` at block depth `depth` (0: the play's own list). */
export function taskSteps(tasks: Task[], depth = 0): Step[] {
  const steps: Step[] = [];
  let i = 0;
  while (i < tasks.length) {
    const frame = tasks[i].blocks?.[depth];
    if (!frame) {
      steps.push({ task: tasks[i++] });
      continue;
    }
    // Every task of this block follows: they were written together.
    let end = i;
    while (end < tasks.length && tasks[end].blocks?.[depth]?.id === frame.id) end++;
    const inBlock = tasks.slice(i, end);
    const section = (name: "block" | "rescue" | "always") =>
      taskSteps(inBlock.filter((t) => t.blocks![depth].section === name), depth + 1);
    steps.push({
      block: { id: frame.id, body: section("block"), rescue: section("rescue"), always: section("always") },
    });
    i = end;
  }
  return steps;
}
