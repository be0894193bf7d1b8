// Kubernetes' own syntax rules (apimachinery's validation package), checked at the backend's start
// so that a typo in app-config is reported by its key instead of as a 422 from the API server on
// the first run, hours later.

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** the name part of a qualified name, and a non-empty label value */
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/**
 * A resource quantity: a number with a binary (Ki…Ei), decimal (n, u, m, k…E) or exponent
 * suffix. No sign: requests and limits cannot be negative.
 */
const QUANTITY = /^(\d+(\.\d*)?|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** A namespace name: problem text, or undefined when `value` is one. */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length <= 63 && DNS1123_LABEL.test(value)) return undefined;
  return `"${value}" is not a DNS-1123 label (at most 63 of a-z, 0-9 and "-", starting and ending with a letter or digit)`;
}

/** An object name such as a Secret's or a ServiceAccount's. */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length <= 253 && DNS1123_SUBDOMAIN.test(value)) return undefined;
  return `"${value}" is not a DNS-1123 subdomain (lower-case a-z, 0-9, "-" and ".", at most 253)`;
}

/** A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain. */
export function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.pop()!;
  if (parts.length > 1) {
    return `"${key}" is not a valid key: at most one "/" (prefix/name)`;
  }
  if (parts.length === 1 && dns1123SubdomainProblem(parts[0])) {
    return `"${key}" is not a valid key: its prefix must be a DNS subdomain such as example.com`;
  }
  if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return `"${key}" is not a valid key: the name after any prefix is at most 63 of A-Z, a-z, 0-9, "-", "_" and ".", starting and ending with a letter or digit`;
  }
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length <= 63 && QUALIFIED_NAME_PART.test(value)) return undefined;
  return `"${value}" is not a valid label value: at most 63 of A-Z, a-z, 0-9, "-", "_" and ".", starting and ending with a letter or digit`;
}

export function quantityProblem(value: string): string | undefined {
  if (QUANTITY.test(value)) return undefined;
  return `"${value}" is not a Kubernetes quantity (e.g. 500m or 2 for CPU, 512Mi or 4Gi for memory)`;
}
