import type { V1Pod } from '@kubernetes/client-node';
import {
  agentTermination,
  currentPod,
  jobFinished,
  startProblem,
} from './jobState';

const waiting = (reason: string, message: string): V1Pod => ({
  metadata: { namespace: 'backlot-jobs' },
  status: {
    phase: 'Pending',
    containerStatuses: [
      {
        name: 'agent',
        image: 'backlot/agent:0.1.0',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { waiting: { reason, message } },
      },
    ],
  },
});

describe('reading a Job and its pod', () => {
  it('finishes on Complete or Failed only, not on the conditions that come first', () => {
    expect(
      jobFinished({
        status: { conditions: [{ type: 'FailureTarget', status: 'True' }] },
      }),
    ).toBeUndefined();
    expect(
      jobFinished({
        status: {
          conditions: [
            {
              type: 'Failed',
              status: 'True',
              reason: 'DeadlineExceeded',
              message: 'm',
            },
          ],
        },
      }),
    ).toEqual({ succeeded: false, reason: 'DeadlineExceeded', message: 'm' });
    expect(
      jobFinished({
        status: { conditions: [{ type: 'Complete', status: 'True' }] },
      }),
    ).toEqual({ succeeded: true });
  });

  it('says what to fix when a pod cannot start', () => {
    expect(
      startProblem(waiting('ImagePullBackOff', 'Back-off pulling image'))!
        .message,
    ).toMatch(
      /cannot pull the image "backlot\/agent:0\.1\.0".*dbBackups\.kubernetes\.image/,
    );
    expect(
      startProblem(
        waiting(
          'CreateContainerConfigError',
          "couldn't find key password in Secret backlot-jobs/orders",
        ),
      )!.message,
    ).toMatch(
      /couldn't find key password.*in namespace backlot-jobs.*host, user and password/,
    );
    expect(startProblem(waiting('ContainerCreating', ''))).toBeUndefined();
    expect(
      startProblem({
        status: {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: '0/1 nodes are available',
            },
          ],
        },
      })!.message,
    ).toMatch(/no node can run the pod: 0\/1 nodes.*nodeSelector/);
  });

  it("reads the agent's result from its termination message, and keeps any other message as text", () => {
    const terminated = (message: string, exitCode: number): V1Pod => ({
      status: {
        containerStatuses: [
          {
            name: 'agent',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode, message } },
          },
        ],
      },
    });
    const result = { type: 'result', status: 'succeeded', sha256: 'ab' };
    expect(
      agentTermination(terminated(JSON.stringify(result), 0)),
    ).toMatchObject({
      exitCode: 0,
      result,
    });
    expect(
      agentTermination(terminated('Segmentation fault', 139)),
    ).toMatchObject({
      exitCode: 139,
      result: undefined,
      message: 'Segmentation fault',
    });
    expect(agentTermination(waiting('ErrImagePull', ''))).toBeUndefined();
  });

  it('takes the newest pod of a Job', () => {
    const pod = (name: string, at: string): V1Pod => ({
      metadata: { name, creationTimestamp: new Date(at) },
    });
    expect(
      currentPod([
        pod('old', '2026-12-01T10:00:00Z'),
        pod('new', '2026-12-01T10:05:00Z'),
      ])!.metadata!.name,
    ).toBe('new');
  });
});
