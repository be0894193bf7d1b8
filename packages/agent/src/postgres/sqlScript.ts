// Just enough of SQL's lexical rules to take pg_restore's own scripts apart: statements end at a
// semicolon outside quotes, identifiers and literals double their quotes, bodies are dollar-quoted.

export interface Token {
  text: string;
  start: number;
  end: number;
  kind: 'word' | 'ident' | 'string' | 'other';
}

/** SQL tokens of one statement: words, "quoted identifiers", 'string literals' and single characters. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    let kind: Token['kind'];
    if (c === '"' || c === "'") {
      kind = c === '"' ? 'ident' : 'string';
      i++;
      // a doubled quote is an escaped quote; standard_conforming_strings is on in every pg_dump script
      while (i < sql.length) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if (/[\p{L}\p{N}_$]/u.test(c)) {
      kind = 'word';
      while (i < sql.length && /[\p{L}\p{N}_$]/u.test(sql[i])) i++;
    } else {
      kind = 'other';
      i++;
    }
    tokens.push({ text: sql.slice(start, i), start, end: i, kind });
  }
  return tokens;
}

/** Splits a pg_restore script into statements, leaving out psql meta-commands and comments. */
export function splitStatements(script: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (!quote && current.trim() === '') {
      // at a statement's start, a line of "--" or "\connect" is not SQL
      if (script.startsWith('--', i) || c === '\\') {
        const eol = script.indexOf('\n', i);
        i = eol === -1 ? script.length : eol;
        current = '';
        continue;
      }
    }
    if (!quote && c === '$' && !/[\p{L}\p{N}_$]/u.test(script[i - 1] ?? ' ')) {
      // a dollar-quoted body ($$ or $tag$) runs to the same tag: a function's ; are not the end
      const tag = /^\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/u.exec(
        script.slice(i, i + 64),
      )?.[0];
      if (tag) {
        const close = script.indexOf(tag, i + tag.length);
        const end = close === -1 ? script.length : close + tag.length;
        current += script.slice(i, end);
        i = end - 1;
        continue;
      }
    }
    current += c;
    if (quote) {
      if (c === quote) quote = undefined; // a doubled quote closes and reopens: same effect
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === ';') {
      statements.push(current.trim());
      current = '';
    }
  }
  return statements;
}
