// Preloaded by every worker (WORKFLOW_PRELOAD_MODULES): evaluated once per workflow thread before
// any run, then shared by every run instead of each run evaluating its own copy.
//
// The SDK's generated preload is a bare `require('zod')`, which webpack drops because zod declares
// itself free of side effects: this module, which has side effects, keeps zod in the preload.
// After preloading, the SDK deep-freezes shared modules: zod's lazily filled module-level cache
// (whether `new Function` is allowed, for its compiled object parsers) is filled here first, or a
// frozen cache would throw on the first parse. Schemas themselves stay per run (see
// worker/create-worker.ts).
import { z } from 'zod';
import { util } from 'zod/v4/core';

// Schemas are built per run and parse once or twice: compiling a fast object parser (`new
// Function`) for each would cost more than it saves (~12 ms of CPU per loan run).
z.config({ jitless: true });
z.object({ warm: z.string() }).parse({ warm: 'up' });
void util.allowsEval.value;
