/** The schema of a value rendered at run time, shared by the file schemas and the roles' variables. */
import { z } from "zod";

/** A string with a handlebars expression: accepted wherever a value is rendered at run time. */
export const templateString = z.string().regex(/\{\{/).describe(
  "A {{ template }}, rendered at run time and checked again then.",
);
