import { z } from 'zod/v3';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelValueProblem,
  qualifiedNameProblem,
  quantityProblem,
} from './kubernetesNames';
import { LABELS } from '../runners/kubernetes/jobSpec';

// The shape of dbBackups.kubernetes as written in app-config. Backstage's config schema
// (config.d.ts) only checks types; these are Kubernetes' rules, so the API server never has to
// refuse a Job the config made.

type Check = (value: string) => string | undefined;

function checked<T extends z.ZodTypeAny>(schema: T, check: Check) {
  return schema.superRefine((value, ctx) => {
    const problem = check(value as string);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Backstage reads `$env` substitutions as strings; the config's getNumber/getBoolean accept them too. */
const fromEnvString = (parse: (s: string) => unknown) => (value: unknown) =>
  typeof value === 'string' ? parse(value.trim()) : value;

const text = z.string({
  invalid_type_error: 'must be a string (quote numbers and true/false in YAML)',
});

const image = checked(text, v =>
  /^\S+$/.test(v) ? undefined : `"${v}" is not an image reference`,
);

const positiveSeconds = z.preprocess(
  fromEnvString(s => (/^\d+$/.test(s) ? Number(s) : s)),
  z.number({ invalid_type_error: 'must be a whole number of seconds' }).refine(
    v => Number.isInteger(v) && v > 0,
    v => ({ message: `${v} is not a positive whole number of seconds` }),
  ),
);

const flag = z.preprocess(
  fromEnvString(s => (['true', 'false'].includes(s) ? s === 'true' : s)),
  z.boolean({ invalid_type_error: 'must be true or false' }),
);

/** A map whose keys and values follow `keyCheck`/`valueCheck`, each problem at its own key. */
function stringMap(keyCheck: Check, valueCheck?: Check) {
  return z.record(text).superRefine((map, ctx) => {
    for (const [key, value] of Object.entries(map)) {
      const problem = keyCheck(key) ?? valueCheck?.(value);
      if (problem)
        ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  });
}

const quantity = z.preprocess(
  v => (typeof v === 'number' ? String(v) : v),
  checked(text, quantityProblem),
);
const quantities = z
  .object({
    cpu: quantity.optional(),
    memory: quantity.optional(),
    'ephemeral-storage': quantity.optional(),
  })
  .strict()
  // as the runner's config has it: only the resources that are set
  .transform(
    q =>
      Object.fromEntries(
        Object.entries(q).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
  );

function oneOf<T extends string>(values: [T, ...T[]]) {
  return z.enum(values, {
    errorMap: (_issue, ctx) => ({
      message: `${JSON.stringify(ctx.data)} is not one of ${values.join(', ')}`,
    }),
  });
}

/** The API server's rules for a toleration (ValidateTolerations), as start-time messages. */
const toleration = z
  .object({
    key: checked(text, qualifiedNameProblem).optional(),
    operator: oneOf(['Equal', 'Exists']).optional(),
    value: text.optional(),
    effect: oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.number().int().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const problem = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (!t.key && t.operator !== 'Exists') {
      problem('operator', 'must be Exists when the toleration has no key');
    }
    if (t.operator === 'Exists' && t.value) {
      problem('value', 'must be empty when operator is Exists');
    }
    const valueProblem =
      t.operator !== 'Exists' && labelValueProblem(t.value ?? '');
    if (valueProblem) problem('value', valueProblem);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      problem('tolerationSeconds', 'is only allowed with effect NoExecute');
    }
  });

/** The runner sets these on every pod and would silently win over a configured value. */
const podLabelKey: Check = key =>
  qualifiedNameProblem(key) ??
  ((Object.values(LABELS) as string[]).includes(key)
    ? `"${key}" is set by the runner on every pod; use another key`
    : undefined);

const majorKey: Check = key =>
  /^\d+$/.test(key) && Number(key) >= 10
    ? undefined
    : `"${key}" is not a PostgreSQL major (a whole number, 10 or more)`;

export const kubernetesSchema = z
  .object({
    kubeconfig: text.min(1).optional(),
    context: text.min(1).optional(),
    namespace: checked(
      z.string({
        required_error:
          'missing: give the namespace the Jobs, their pods and Secrets go in',
        invalid_type_error: 'must be a string',
      }),
      dns1123LabelProblem,
    ),
    image: image.optional(),
    imagesByMajor: stringMap(
      majorKey,
      v => image.safeParse(v).error?.issues[0].message,
    ).optional(),
    serviceAccountName: checked(text, dns1123SubdomainProblem).optional(),
    automountServiceAccountToken: flag.optional(),
    resources: z
      .object({
        requests: quantities.optional(),
        limits: quantities.optional(),
      })
      .strict()
      .optional(),
    nodeSelector: stringMap(qualifiedNameProblem, labelValueProblem).optional(),
    tolerations: z.array(toleration).optional(),
    imagePullSecrets: z
      .array(checked(text, dns1123SubdomainProblem))
      .optional(),
    podLabels: stringMap(podLabelKey, labelValueProblem).optional(),
    podAnnotations: stringMap(qualifiedNameProblem).optional(),
    activeDeadlineSeconds: positiveSeconds.optional(),
    ttlSecondsAfterFinished: positiveSeconds.optional(),
    // a duration object or string: read by readDurationFromConfig, which knows both forms
    pendingTimeout: z.unknown().optional(),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.context && !k.kubeconfig) {
      ctx.addIssue({
        code: 'custom',
        path: ['context'],
        message:
          'needs kubeconfig: in-cluster access (no kubeconfig) has no contexts',
      });
    }
  });

export type KubernetesConfigInput = z.infer<typeof kubernetesSchema>;

function pathPart(part: string | number): string {
  if (typeof part === 'number') return `[${part}]`;
  return /^[A-Za-z][\w-]*$/.test(part)
    ? `.${part}`
    : `[${JSON.stringify(part)}]`;
}

/** `dbBackups.kubernetes.podLabels["app.kubernetes.io/name"]: …`: the key as a user finds it in YAML. */
export function formatIssue(issue: z.ZodIssue): string {
  const key = `dbBackups.kubernetes${issue.path.map(pathPart).join('')}`;
  if (issue.code === 'unrecognized_keys') {
    return `${key}: unknown ${issue.keys.map(k => `"${k}"`).join(', ')}`;
  }
  return `${key}: ${issue.message}`;
}
