/**
 * `$(VAR)` expansion in env values, command and args, ported from Kubernetes' third_party/forked/golang/expansion so
 * that the edge cases agree with a real kubelet: an unknown `$(VAR)` stays as written, `$$` is one `$`, an unclosed
 * `$(` is kept, and a `$` before any other character is kept together with that character.
 */
export function expand(
  input: string,
  lookup: (name: string) => string | undefined,
): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let read: string;
    let advance = 1;
    if (rest[0] === '$') {
      read = '$';
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close === -1) {
        read = '$(';
      } else {
        const name = rest.slice(1, close);
        read = lookup(name) ?? `$(${name})`;
        advance = close + 1;
      }
    } else {
      read = `$${rest[0]}`;
    }
    out += read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/** The mapping a kubelet expands with: later maps win, as the container's env overrides what came before. */
export function lookupIn(
  ...maps: Array<Record<string, string>>
): (name: string) => string | undefined {
  return name => {
    for (let i = maps.length - 1; i >= 0; i--)
      if (Object.prototype.hasOwnProperty.call(maps[i], name))
        return maps[i][name];
    return undefined;
  };
}
