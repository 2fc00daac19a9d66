import { ReusableVMWorkflowCreator } from '@temporalio/worker/lib/workflow/reusable-vm';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from './support/temporal';

// The SDK's reusable V8 context gives each workflow run a fresh module cache except for the
// preloaded modules. zod was listed for preloading, but webpack compiled the generated
// `require('zod')` to nothing (zod declares itself side-effect free), so every loan run evaluated
// zod's whole module graph again (~30 ms of CPU per run under load).
describe('workflow bundle preload', () => {
  it('shares the zod module the workflows import across runs', async () => {
    const bundle = await workflowBundle();
    // The module id webpack gave `zod` where a contract imports it.
    const zodId = /__webpack_require__\(\/\*! zod \*\/ "([^"]+)"\)/.exec(bundle.code)?.[1];
    expect(zodId).toMatch(/zod/);
    const creator = await ReusableVMWorkflowCreator.create(
      {
        code: bundle.code,
        filename: 'workflow-preload-test.js',
        sourceMap: { version: 3, file: '', sources: [], names: [], mappings: '' },
      },
      5_000,
      new Set(),
    );
    try {
      // Outside a workflow run the context's module cache answers from the shared modules only.
      const { context } = creator as unknown as {
        context: { __webpack_module_cache__: Record<string, unknown> };
      };
      expect(context.__webpack_module_cache__[zodId as string]).toBeDefined();
    } finally {
      await creator.destroy();
    }
  }, 120_000);

  // Every run evaluates the modules it imports: schemas only the submit path or tests parse stay
  // out of the workflows' module graph (core/loan-application-file.ts, core/loan-rules-schema.ts).
  it('leaves out the schemas the workflows never parse', async () => {
    const { code } = await workflowBundle();
    expect(code).toMatch(/loanOrigination/);
    for (const unused of ['LoanApplicationFileSchema', 'RuleSetSchema.parse', 'RuleConditionSchema'])
      expect(code).not.toContain(unused);
    // The loan workflow starts the per-run archiver (runs from before the batch archiver) by type
    // name: its module and contract stay out of every loan run.
    const loanModule = /\n\/\*{3}\/ "\.\/workflows\/loan-origination\.ts"[\s\S]*?\n\/\*{3}\/ "\.\//.exec(
      code,
    )?.[0];
    expect(loanModule).toMatch(/startChild/);
    expect(loanModule).not.toMatch(/__webpack_require__\([^)]*history-archiver/);
  }, 120_000);
});
