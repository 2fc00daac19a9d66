import { buildReport, type ControlResult, type PostureReport } from '../../core/posture/types';
import type { JsonValue } from '../../core/json-value';
import type { PostureControl, ProbeContext } from './control';
import { CONTROLS } from './controls';

/** Probes and evaluates one control; a probe that cannot run is an `error` result, never a throw. */
export async function checkControl(control: PostureControl, ctx: ProbeContext): Promise<ControlResult> {
  const at = new Date().toISOString();
  try {
    const { probe, observed } = await control.probe(ctx);
    const verdict = control.evaluate(observed, ctx);
    return {
      control: control.definition,
      status: verdict.status,
      detail: verdict.detail,
      evidence: { probe, observed, at },
    };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    return {
      control: control.definition,
      status: 'error',
      detail: `probe failed: ${message}`,
      evidence: { probe: 'probe failed', observed: { error: message } as JsonValue, at },
    };
  }
}

/** Checks every control against the live system (`onEach` runs after each: the activity heartbeats). */
export async function runPosture(
  ctx: ProbeContext,
  opts: { requestedBy: string; controls?: PostureControl[]; onEach?: () => void },
): Promise<PostureReport> {
  const results: ControlResult[] = [];
  for (const c of opts.controls ?? CONTROLS) {
    results.push(await checkControl(c, ctx));
    opts.onEach?.();
  }
  return buildReport(results, { at: ctx.now, requestedBy: opts.requestedBy });
}
