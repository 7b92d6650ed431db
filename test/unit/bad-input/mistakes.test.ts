/**
 * Issue #16's table (test/bad-input/mistakes.cases.ts) against the built CLI (`npm run build` first),
 * each case with a listener of its own where the host would be: every mistake ends in one clear
 * error naming the file, in bounded time and memory, without contacting it or writing anything; the
 * controls do contact it.
 */
import { mistakeCases } from "../../bad-input/mistakes.cases.ts";
import { describeBadInputTable } from "../../bad-input/unit-table.ts";

describeBadInputTable("the mistakes people make (#16)", mistakeCases);
