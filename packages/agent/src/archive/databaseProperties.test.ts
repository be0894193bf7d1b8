import { parseDatabaseProperties } from './databaseProperties';
import { splitStatements } from '../postgres/sqlScript';

// What pg_restore --create --schema-only prints for a database's own entries (pg_restore 18, trimmed).
const script = (name: string) => `--
-- PostgreSQL database dump
--

\\restrict abc

SET client_encoding = 'LATIN1';
SET standard_conforming_strings = on;

CREATE DATABASE ${name} WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE_PROVIDER = libc LOCALE = 'C';


ALTER DATABASE ${name} OWNER TO "Owner Role";

\\unrestrict abc
\\connect ${name}

COMMENT ON DATABASE ${name} IS 'DATABASE ${name} is; "the" orders db';
ALTER DATABASE ${name} SET search_path TO 'app', 'public';
ALTER ROLE "DATABASE ${name}" IN DATABASE ${name} SET work_mem TO '4MB';
REVOKE CONNECT,TEMPORARY ON DATABASE ${name} FROM PUBLIC;
GRANT CONNECT ON DATABASE ${name} TO app;
`;

describe('database properties from the archive', () => {
  it('puts the target name where the source name stands, and nowhere else', () => {
    const props = parseDatabaseProperties(script('props'))!;
    expect(props.sourceName).toBe('props');
    expect(props.encoding).toBe('LATIN1');
    expect(props.createStatement('props_r', 18)).toBe(
      `CREATE DATABASE "props_r" WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE_PROVIDER = libc LOCALE = 'C';`,
    );
    expect(props.propertyStatements('new "one"')).toEqual([
      {
        sql: `ALTER DATABASE "new ""one""" OWNER TO "Owner Role";`,
        owner: true,
      },
      {
        sql: `COMMENT ON DATABASE "new ""one""" IS 'DATABASE props is; "the" orders db';`,
        owner: false,
      },
      {
        sql: `ALTER DATABASE "new ""one""" SET search_path TO 'app', 'public';`,
        owner: false,
      },
      {
        sql: `ALTER ROLE "DATABASE props" IN DATABASE "new ""one""" SET work_mem TO '4MB';`,
        owner: false,
      },
      {
        sql: `REVOKE CONNECT,TEMPORARY ON DATABASE "new ""one""" FROM PUBLIC;`,
        owner: false,
      },
      { sql: `GRANT CONNECT ON DATABASE "new ""one""" TO app;`, owner: false },
    ]);
  });

  it('reads a quoted source name', () => {
    const props = parseDatabaseProperties(script('"Orders DB"'))!;
    expect(props.sourceName).toBe('"Orders DB"');
    expect(props.propertyStatements('x')[1].sql).toBe(
      `COMMENT ON DATABASE "x" IS 'DATABASE "Orders DB" is; "the" orders db';`,
    );
  });

  it('leaves the locale provider out for a server before 15, which has only libc', () => {
    expect(
      parseDatabaseProperties(script('props'))!.createStatement('r', 14),
    ).toBe(
      `CREATE DATABASE "r" WITH TEMPLATE = template0 ENCODING = 'LATIN1' LOCALE = 'C';`,
    );
  });

  it('has nothing to say of a script without CREATE DATABASE', () => {
    expect(parseDatabaseProperties('SET x = 1;\n')).toBeUndefined();
  });
});

describe('splitStatements', () => {
  it('keeps quoted and dollar-quoted semicolons inside their statement', () => {
    expect(
      splitStatements(`-- a comment; not SQL
\\connect db
CREATE FUNCTION f() RETURNS int
    LANGUAGE plpgsql
    AS $_$begin return 1; end$_$;
COMMENT ON FUNCTION f() IS 'a; b';
SELECT "odd;name", a$b$c FROM t;
`),
    ).toEqual([
      `CREATE FUNCTION f() RETURNS int\n    LANGUAGE plpgsql\n    AS $_$begin return 1; end$_$;`,
      `COMMENT ON FUNCTION f() IS 'a; b';`,
      `SELECT "odd;name", a$b$c FROM t;`,
    ]);
  });
});
