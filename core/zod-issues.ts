import type { z } from 'zod';

/** One line per zod issue, naming the field: `actor.id: Required` (`(root)` for the whole value). */
export function zodIssueLines(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => `${prefix}${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** The issues of a zod error on one line, e.g. `actor.id: Required; outcome: Invalid option`. */
export function describeZodError(error: z.ZodError, prefix = ''): string {
  return zodIssueLines(error, prefix).join('; ');
}
