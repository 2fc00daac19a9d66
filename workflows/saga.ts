import { CancellationScope } from '@temporalio/workflow';

/** What became of one compensation (kept in the workflow state and recorded in the ledger). */
export interface CompensationOutcome {
  action: string;
  outcome: 'done' | 'failed';
  detail?: string;
}

/**
 * Compensations of the steps that succeeded so far, undone newest first. Workflow-safe: the
 * compensations are activities scheduled by the workflow, never I/O here.
 */
export class Saga {
  private readonly undos: Array<{ action: string; run: () => Promise<unknown> }> = [];

  /** Registers how to undo a step that has just succeeded. */
  add(action: string, run: () => Promise<unknown>): void {
    this.undos.push({ action, run });
  }

  /**
   * Runs every registered compensation in reverse order; one that fails is reported and the
   * others still run. Inside `CancellationScope.nonCancellable`, so they run (and their
   * activities are not cancelled) even when the workflow itself is being cancelled.
   */
  compensate(onOutcome: (o: CompensationOutcome) => void = () => undefined): Promise<CompensationOutcome[]> {
    return CancellationScope.nonCancellable(() => this.runAll(onOutcome));
  }

  /** The same, in the caller's scope: only for histories recorded before the saga was shielded. */
  async runAll(
    onOutcome: (o: CompensationOutcome) => void = () => undefined,
  ): Promise<CompensationOutcome[]> {
    const outcomes: CompensationOutcome[] = [];
    for (const undo of [...this.undos].reverse()) {
      let o: CompensationOutcome;
      try {
        await undo.run();
        o = { action: undo.action, outcome: 'done' };
      } catch (err) {
        o = { action: undo.action, outcome: 'failed', detail: String((err as Error).message) };
      }
      outcomes.push(o);
      onOutcome(o);
    }
    this.undos.length = 0;
    return outcomes;
  }
}
