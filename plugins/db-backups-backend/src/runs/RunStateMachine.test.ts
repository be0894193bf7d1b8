import { ConflictError } from '@backstage/errors';
import {
  assertTransition,
  canTransition,
  statusesLeadingTo,
} from './RunStateMachine';

describe('RunStateMachine', () => {
  it('lets a queued or running run be cancelled', () => {
    expect(canTransition('queued', 'cancelled')).toBe(true);
    expect(canTransition('running', 'cancelled')).toBe(true);
    expect(statusesLeadingTo('cancelled')).toEqual(['queued', 'running']);
  });

  it('never changes an ended run again', () => {
    for (const from of ['succeeded', 'failed', 'cancelled'] as const) {
      for (const to of [
        'queued',
        'running',
        'succeeded',
        'failed',
        'cancelled',
      ] as const) {
        expect(canTransition(from, to)).toBe(false);
      }
    }
    expect(() => assertTransition('r1', 'succeeded', 'cancelled')).toThrow(
      new ConflictError('Run r1 is succeeded and cannot become cancelled'),
    );
  });

  it('runs only forward: a cancelled or running run is never queued again', () => {
    expect(canTransition('running', 'queued')).toBe(false);
    expect(canTransition('queued', 'succeeded')).toBe(false);
  });
});
