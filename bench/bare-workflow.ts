// Baseline workflow of bench/loan.ts: the loan workflow's shape (1, then 2 in parallel, then 3
// sequential activities) with no-op activities, no database and no providers.
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: string): Promise<string> }>({
  startToCloseTimeout: '30 seconds',
});

export async function bareSixActivities(): Promise<void> {
  await noop('received');
  await Promise.all([noop('registry'), noop('credit')]);
  await noop('screen');
  await noop('rules');
  await noop('decision');
}
