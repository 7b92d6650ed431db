/**
 * Issue #18's table (test/bad-input/hostile.cases.ts) against the built CLI (`npm run build` first),
 * each case with a listener of its own where the host would be: every bad input ends in one clear
 * error, in bounded time and memory, without contacting it or writing anything; the controls do
 * contact it. test/e2e/bad-input.test.ts runs the same table against a real testbed host.
 */
import { hostileCases } from "../../bad-input/hostile.cases.ts";
import { describeBadInputTable } from "../../bad-input/unit-table.ts";

describeBadInputTable("hostile and corrupt input (#18)", hostileCases);
