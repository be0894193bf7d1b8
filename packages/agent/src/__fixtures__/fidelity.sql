-- Fidelity fixture: one database holding (nearly) every kind of object pg_dump handles, few rows each.
-- Loaded by __testUtils__/fidelity.ts into a database created with
--   create database <name> template template0 encoding 'LATIN1' locale 'C'
-- so the text below must be representable in Latin-1 (é, ü, ß, ½ are; no other scripts, no emoji).
-- One file because it is one database: loaded in one go, and the test diffs all of it at once.
--
-- Valid on PostgreSQL 14 through 18: it keeps to what all of them share. Left out on purpose:
--   * extensions (none may be installed; plpgsql is built in), so no btree_gist: the exclusion
--     constraint uses a range column's built-in gist opclass;
--   * ICU collations (a server may be built without ICU): libc "C" only;
--   * tablespaces (need a directory on the server), subscriptions (a database with one cannot be
--     dropped, and the testbed's databases are dropped and recreated), security labels (need a provider);
--   * 15+: security_invoker views, NULLS NOT DISTINCT, publication column lists/row filters/TABLES IN
--     SCHEMA, unlogged sequences; 16+: GRANT ... WITH INHERIT/SET; 17+: MAINTAIN; 18+: virtual
--     generated columns, NOT NULL ... NOT VALID, temporal (WITHOUT OVERLAPS) keys;
--   * no identity or serial column on the unlogged table (15+ makes its sequence unlogged as well,
--     14 cannot).
-- Loaded as one multi-statement query (node-postgres), i.e. in one implicit transaction: a `commit;`
-- ends it where a later statement needs what came before committed (psql warns there, harmlessly).
-- Statements that take the database's name use current_database() (in DO blocks), so the file works
-- for any name.

-- Roles are cluster-wide and the servers are shared between test runs: created only when missing, and
-- brought to the same attributes either way.
do $$
begin
  if not exists (select from pg_roles where rolname = 'fidelity_owner') then
    create role fidelity_owner nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'fidelity_writer') then
    create role fidelity_writer login connection limit 5;
  end if;
  if not exists (select from pg_roles where rolname = 'Fidelity Reader') then
    create role "Fidelity Reader" nologin;
  end if;
end
$$;
alter role fidelity_owner nologin;
alter role fidelity_writer login connection limit 5;
alter role fidelity_writer set statement_timeout = '5min';
comment on role "Fidelity Reader" is 'reads; "quoted" role';
grant "Fidelity Reader" to fidelity_writer;
grant fidelity_writer to fidelity_owner;

-- database-level properties: settings (also per role), comment, ACL
do $$
begin
  execute format('alter database %I set search_path = fidelity, public', current_database());
  execute format('alter database %I set work_mem = %L', current_database(), '8MB');
  execute format('alter role fidelity_writer in database %I set work_mem = %L', current_database(), '16MB');
  execute format('comment on database %I is %L', current_database(), 'Fidelity fixture: café; "quoted" and ''single''');
  execute format('revoke connect, temporary on database %I from public', current_database());
  execute format('grant connect on database %I to "Fidelity Reader"', current_database());
  execute format('grant connect, temporary on database %I to fidelity_writer', current_database());
  execute format('grant create on database %I to fidelity_owner with grant option', current_database());
  execute format('alter database %I owner to fidelity_owner', current_database());
end
$$;

-- a schema owned by a role, and one owned by the superuser
create schema fidelity authorization fidelity_owner;
comment on schema fidelity is 'the fixture''s main schema';
create schema "Fidelity Extra";
grant usage on schema fidelity to "Fidelity Reader", fidelity_writer;
grant usage, create on schema "Fidelity Extra" to fidelity_writer;

-- default privileges (pg_default_acl), globally and per schema
alter default privileges for role fidelity_owner in schema fidelity grant select on tables to "Fidelity Reader";
alter default privileges for role fidelity_owner in schema fidelity grant usage on sequences to fidelity_writer;
alter default privileges for role fidelity_owner revoke execute on functions from public;
alter default privileges in schema "Fidelity Extra" grant select, insert on tables to fidelity_writer;

set search_path = fidelity, public;

-- collations (libc only)
create collation fidelity.c_coll (locale = 'C');
create collation fidelity."C copy" from "C";
comment on collation fidelity.c_coll is 'libc C collation';

-- types: enum (with a value added later, in the middle), domains with checks, composite, range
create type fidelity.mood as enum ('sad', 'ok', 'happy');
alter type fidelity.mood add value 'meh' before 'ok';
commit; -- a new enum value cannot be used in the transaction that added it (before 17)
comment on type fidelity.mood is 'how it feels';
create domain fidelity.posint as integer not null default 1 check (value > 0);
create domain fidelity.short_text as text collate fidelity.c_coll
  constraint short_text_len check (length(value) <= 40);
alter domain fidelity.short_text add constraint short_text_no_tab check (value !~ E'\t') not valid;
comment on domain fidelity.posint is 'a positive integer';
create type fidelity.pair as (left_part fidelity.short_text, right_part integer);
create type fidelity.floatrange as range (subtype = float8, subtype_diff = float8mi);
comment on type fidelity.floatrange is 'a range of float8';
revoke usage on type fidelity.mood from public;
grant usage on type fidelity.mood to fidelity_writer;

-- sequences with non-default options and set values
create sequence fidelity.counter as smallint increment by 3 minvalue -100 maxvalue 1000 start with 7 cache 5 cycle;
select setval('fidelity.counter', 42, false);
create sequence fidelity.plain_seq;
select setval('fidelity.plain_seq', 1234);
comment on sequence fidelity.counter is 'counts in threes';
grant usage, select on sequence fidelity.counter to fidelity_writer;
grant select on sequence fidelity.plain_seq to "Fidelity Reader";

-- functions and procedures: SQL (quoted body and SQL-standard body), plpgsql, security definer, settings
create function fidelity.add(a integer, b integer) returns integer
  language sql immutable strict parallel safe
  as 'select a + b';
create function fidelity.add_atomic(a integer, b integer) returns integer
  language sql immutable
  begin atomic
    select a + b;
  end;
create function fidelity.whoami() returns text
  language plpgsql stable security definer
  set search_path = pg_catalog, fidelity
  as $$
begin
  return current_user;
end
$$;
create function fidelity.sum_sq_step(state bigint, value integer) returns bigint
  language sql immutable
  as 'select state + value::bigint * value';
create function fidelity.int_eq3(a integer, b integer) returns boolean
  language sql immutable
  as 'select a = b';
create function fidelity.btint4cmp_rev(a integer, b integer) returns integer
  language sql immutable strict
  as 'select pg_catalog.btint4cmp(b, a)';
create function fidelity.mood_to_int(m fidelity.mood) returns integer
  language sql immutable strict
  as $$select array_position(enum_range(null::fidelity.mood), m)$$;
create procedure fidelity.bump(step integer default 1)
  language plpgsql
  as $$
begin
  perform nextval('fidelity.plain_seq');
  perform step;
end
$$;
comment on function fidelity.add(integer, integer) is 'adds; two ''ints''';
comment on procedure fidelity.bump(integer) is 'bumps a sequence';
revoke execute on function fidelity.whoami() from public;
grant execute on function fidelity.whoami() to "Fidelity Reader";
grant execute on procedure fidelity.bump(integer) to fidelity_writer;

-- aggregate, operator, operator class and family, cast, conversion
create aggregate fidelity.sum_sq(integer) (
  sfunc = fidelity.sum_sq_step, stype = bigint, initcond = '0', parallel = safe
);
comment on aggregate fidelity.sum_sq(integer) is 'sum of squares';
create operator fidelity.=== (
  leftarg = integer, rightarg = integer, function = fidelity.int_eq3,
  commutator = operator(fidelity.===), restrict = eqsel, join = eqjoinsel
);
comment on operator fidelity.=== (integer, integer) is 'equal, thrice';
create operator family fidelity.int_rev_family using btree;
create operator class fidelity.int_rev_ops for type integer using btree family fidelity.int_rev_family as
  operator 1 pg_catalog.> , operator 2 pg_catalog.>= , operator 3 pg_catalog.= ,
  operator 4 pg_catalog.<= , operator 5 pg_catalog.< ,
  function 1 fidelity.btint4cmp_rev(integer, integer);
create cast (fidelity.mood as integer) with function fidelity.mood_to_int(fidelity.mood);
comment on cast (fidelity.mood as integer) is 'position of a mood';
create conversion fidelity.latin1_to_utf8_copy for 'LATIN1' to 'UTF8' from pg_catalog.iso8859_1_to_utf8;

-- a table access method that is the built-in heap under another name
create access method fidelity_heap type table handler heap_tableam_handler;
comment on access method fidelity_heap is 'heap, renamed';

-- text search: a configuration copied from a built-in one, and a dictionary
create text search configuration fidelity.fts (copy = pg_catalog.english);
create text search dictionary fidelity.simple_dict (template = pg_catalog.simple);
alter text search configuration fidelity.fts alter mapping for word with fidelity.simple_dict;
comment on text search configuration fidelity.fts is 'english, copied';

-- plain tables: identity, generated (stored), collations, check constraints (one NOT VALID), storage,
-- compression, statistics targets, reloptions, replica identity, cluster, foreign keys (deferrable)
create table fidelity.people (
  id integer generated always as identity (start with 100 increment by 10) primary key,
  name fidelity.short_text not null,
  nick text collate fidelity."C copy",
  age integer,
  feeling fidelity.mood default 'ok',
  pair fidelity.pair,
  span fidelity.floatrange,
  manager_id integer references fidelity.people (id) on delete set null,
  constraint people_name_unique unique (name)
) with (fillfactor = 80);
alter table fidelity.people alter column nick set statistics 500;
comment on table fidelity.people is 'people; with "quotes", ''apostrophes''
and a second line; drop table people; --';
comment on column fidelity.people.nick is 'nickname';
insert into fidelity.people (name, nick, age, feeling, pair, span) values
  ('Zoë', 'zoe', 31, 'happy', ('left', 1), '[1.5,2.5)'),
  ('François', 'françois', 44, 'meh', ('right', 2), '(,0]'),
  ('Jürgen Groß', null, -1, 'sad', null, 'empty');
update fidelity.people set manager_id = 100 where id <> 100;
-- NOT VALID: the row of age -1 violates it, and a restore must still accept that row
alter table fidelity.people add constraint people_age_ok check (age >= 0) not valid;
comment on constraint people_age_ok on fidelity.people is 'not validated';

create table fidelity.orders (
  id bigint generated by default as identity,
  placed_at timestamptz not null default '2024-05-06 07:08:09+00',
  customer_id integer not null,
  note text default 'café ½',
  primary key (id),
  constraint orders_customer_fk foreign key (customer_id) references fidelity.people (id)
    deferrable initially deferred
);
create table fidelity.order_lines (
  order_id bigint not null,
  line_no smallint not null,
  qty integer not null check (qty > 0),
  price numeric(10, 2) not null,
  total numeric generated always as (price * qty) stored,
  primary key (order_id, line_no),
  foreign key (order_id) references fidelity.orders (id) on delete cascade deferrable
);
create index order_lines_price_idx on fidelity.order_lines (price desc nulls last) include (qty) where qty > 1;
create index orders_note_lower_idx on fidelity.orders (lower(note) collate "C");
create index orders_rev_idx on fidelity.orders (customer_id fidelity.int_rev_ops);
alter table fidelity.orders cluster on orders_pkey;
alter table fidelity.orders replica identity full;
comment on index fidelity.order_lines_price_idx is 'partial, with include';
insert into fidelity.orders (customer_id, note) values (100, 'first'), (110, 'zweite Bestellung'), (120, default);
insert into fidelity.order_lines (order_id, line_no, qty, price) values
  (1, 1, 2, 9.99), (1, 2, 1, 100.00), (2, 1, 5, 0.50), (3, 1, 1, 12.34);
-- the identity sequence continues where the rows left it
select setval(pg_get_serial_sequence('fidelity.orders', 'id'), 50);
commit; -- the deferred foreign key's pending checks would block any later ALTER TABLE orders

-- large text stored out of line, uncompressed; explicit (pglz) compression on another column
create table fidelity.docs (id serial primary key, body text, blob bytea, summary text);
alter table fidelity.docs alter column body set storage external;
alter table fidelity.docs alter column summary set compression pglz;
insert into fidelity.docs (body, blob, summary)
  -- over 2 kB: stored out of line (ASCII, so that the rows stay short in a diff)
  select repeat('outside ', 300 + g), decode(repeat('00ff', 10 * g), 'hex'), 'doc ' || g
  from generate_series(1, 3) g;

-- exclusion constraint without any extension: a range column and its built-in gist opclass
create table fidelity.bookings (
  id integer primary key,
  room fidelity.posint,
  during tsrange not null,
  exclude using gist (during with &&)
);
insert into fidelity.bookings values
  (1, 1, '[2024-01-01 10:00, 2024-01-01 11:00)'), (2, 2, '[2024-01-01 11:00, 2024-01-01 12:00)');

-- unlogged table with rows
create unlogged table fidelity.cache (k text primary key, v text);
insert into fidelity.cache values ('a', 'früh'), ('b', 'spät');

-- a table of the renamed access method
create table fidelity.heaped (id integer, v text) using fidelity_heap;
insert into fidelity.heaped values (1, 'x');

-- inheritance, with a column added to the parent after the child exists
create table fidelity.p (a integer);
create table fidelity.c (b integer) inherits (fidelity.p);
alter table fidelity.p add column z integer;
insert into fidelity.p values (1, 10);
insert into fidelity.c (a, b, z) values (2, 20, 200), (3, 30, 300);
alter table fidelity.p add constraint p_a_positive check (a > 0);
comment on table fidelity.c is 'child of p';

-- partitioned by range, with a sub-partition (by list), a default partition, a primary key and a
-- partitioned index
create table fidelity.measurements (
  id integer not null,
  logdate date not null,
  city text not null,
  reading numeric,
  primary key (id, logdate, city) -- every level's partition key is in it
) partition by range (logdate);
create table fidelity.measurements_2023 partition of fidelity.measurements
  for values from ('2023-01-01') to ('2024-01-01');
create table fidelity.measurements_2024 partition of fidelity.measurements
  for values from ('2024-01-01') to ('2025-01-01') partition by list (city);
create table fidelity.measurements_2024_paris partition of fidelity.measurements_2024 for values in ('Paris');
create table fidelity.measurements_2024_rest partition of fidelity.measurements_2024 default;
create table fidelity.measurements_default partition of fidelity.measurements default;
create index measurements_city_idx on fidelity.measurements (city);
comment on table fidelity.measurements is 'partitioned by range';
insert into fidelity.measurements values
  (1, '2023-03-01', 'Köln', 1.5), (2, '2024-03-01', 'Paris', 2.5),
  (3, '2024-04-01', 'Zürich', 3.5), (4, '2030-01-01', 'Paris', 4.5);

-- partitioned by list, with a unique constraint and a default partition
create table fidelity.by_region (region text not null, id integer not null, label text,
  constraint by_region_unique unique (region, id)) partition by list (region);
create table fidelity.by_region_ns partition of fidelity.by_region for values in ('north', 'south');
create table fidelity.by_region_other partition of fidelity.by_region default;
insert into fidelity.by_region values ('north', 1, 'n'), ('east', 2, 'e');

-- row-level security: enabled, forced, permissive and restrictive policies
create table fidelity.secrets (id integer primary key, owner_name name not null default current_user, secret text);
alter table fidelity.secrets enable row level security;
alter table fidelity.secrets force row level security;
create policy secrets_read on fidelity.secrets for select to "Fidelity Reader" using (owner_name = current_user);
create policy secrets_write on fidelity.secrets as restrictive for insert to fidelity_writer
  with check (secret is not null);
comment on policy secrets_read on fidelity.secrets is 'own rows only';
insert into fidelity.secrets values (1, 'fidelity_writer', 'geheim');

-- triggers (one disabled, one constraint trigger) and a rule
create table fidelity.audit (at_id serial primary key, tbl text, op text);
create function fidelity.audit_trigger() returns trigger
  language plpgsql
  as $$
begin
  insert into fidelity.audit (tbl, op) values (tg_table_name, tg_op);
  return coalesce(new, old);
end
$$;
create trigger people_audit after insert or update or delete on fidelity.people
  for each row execute function fidelity.audit_trigger();
create trigger orders_audit before update of note on fidelity.orders
  for each row when (old.note is distinct from new.note) execute function fidelity.audit_trigger();
alter table fidelity.orders disable trigger orders_audit;
create constraint trigger order_lines_check after insert on fidelity.order_lines
  deferrable initially deferred for each row execute function fidelity.audit_trigger();
comment on trigger people_audit on fidelity.people is 'audits people';
create rule audit_no_delete as on delete to fidelity.audit do instead nothing;
comment on rule audit_no_delete on fidelity.audit is 'the audit is append-only';
insert into fidelity.people (name, age) values ('Ærøskøbing', 7);

-- views (with options and check option), a materialized view with data and an index
create view fidelity.adults with (security_barrier) as
  select id, name, age from fidelity.people where age >= 18
  with local check option;
create view fidelity.order_totals as
  select o.id, o.customer_id, sum(l.total) as total, fidelity.sum_sq(l.qty) as qty_sq
  from fidelity.orders o join fidelity.order_lines l on l.order_id = o.id
  group by o.id, o.customer_id;
comment on view fidelity.adults is 'people of age';
comment on column fidelity.adults.name is 'their name';
create materialized view fidelity.city_counts as
  select city, count(*) as n from fidelity.measurements group by city
  with data;
create unique index city_counts_city_idx on fidelity.city_counts (city);
comment on materialized view fidelity.city_counts is 'how many per city';

-- statistics objects
create statistics fidelity.people_stats (ndistinct, dependencies) on name, age from fidelity.people;
alter statistics fidelity.people_stats set statistics 200;
create statistics fidelity.orders_mcv (mcv) on customer_id, note from fidelity.orders;
comment on statistics fidelity.people_stats is 'name and age go together';

-- a foreign-data wrapper without handler (no extension), a server, a user mapping, a foreign table
create foreign data wrapper fidelity_fdw options (debug 'true');
create server fidelity_server foreign data wrapper fidelity_fdw options (host 'nowhere.invalid', dbname 'x');
create user mapping for fidelity_writer server fidelity_server options (user 'remote', password 'not a secret');
create foreign table fidelity.remote_things (id integer options (column_name 'ID'), label text)
  server fidelity_server options (table_name 'things');
comment on foreign data wrapper fidelity_fdw is 'does nothing';
comment on server fidelity_server is 'nowhere';
grant usage on foreign server fidelity_server to fidelity_writer;

-- publications (work at any wal_level; only their use needs wal_level = logical)
create publication fidelity_pub for table fidelity.people, fidelity.orders with (publish = 'insert, update');
create publication fidelity_parts for table fidelity.measurements with (publish_via_partition_root = true);
comment on publication fidelity_pub is 'people and orders';

-- large objects with a comment, a grant and an owner
select lo_from_bytea(424242, convert_to('a large object: café', 'LATIN1'));
select lo_from_bytea(424243, '\x00010203'::bytea);
comment on large object 424242 is 'large; "object" ''one''';
grant select on large object 424242 to "Fidelity Reader";
alter large object 424243 owner to fidelity_owner;

-- grants on tables and columns (with grant option), in both schemas
grant select, insert, update on fidelity.people to fidelity_writer with grant option;
grant select (id, name), update (nick) on fidelity.people to "Fidelity Reader";
grant select on fidelity.order_totals to "Fidelity Reader";
grant select, delete on fidelity.measurements to fidelity_writer;
grant references (id) on fidelity.orders to fidelity_writer;

-- a table in the second schema (default privileges apply) and one in public
create table "Fidelity Extra"."Mixed Case" ("Key" integer primary key, "Wert" text);
insert into "Fidelity Extra"."Mixed Case" values (1, 'Grüße'), (2, 'naïve');
create table public.plain (id integer primary key, note text);
insert into public.plain values (1, 'in public');

-- owners: many objects belong to the fixture's roles
alter table fidelity.people owner to fidelity_owner;
alter table fidelity.orders owner to fidelity_owner;
alter table fidelity.order_lines owner to fidelity_writer;
alter table fidelity.measurements owner to fidelity_owner;
alter table fidelity.secrets owner to fidelity_owner;
alter view fidelity.adults owner to "Fidelity Reader";
alter materialized view fidelity.city_counts owner to fidelity_owner;
alter sequence fidelity.counter owner to fidelity_writer;
alter function fidelity.add(integer, integer) owner to fidelity_owner;
alter procedure fidelity.bump(integer) owner to fidelity_writer;
alter aggregate fidelity.sum_sq(integer) owner to fidelity_owner;
alter type fidelity.mood owner to fidelity_owner;
alter domain fidelity.posint owner to fidelity_writer;
alter collation fidelity.c_coll owner to fidelity_owner;
alter text search configuration fidelity.fts owner to fidelity_owner;
alter operator fidelity.=== (integer, integer) owner to fidelity_owner;
alter statistics fidelity.people_stats owner to fidelity_owner;
alter foreign table fidelity.remote_things owner to fidelity_writer;
alter server fidelity_server owner to fidelity_owner;
alter publication fidelity_parts owner to fidelity_owner;
alter schema "Fidelity Extra" owner to fidelity_writer;

-- an event trigger (superuser only), created last so that it does not fire while the fixture loads
create function fidelity.on_ddl() returns event_trigger
  language plpgsql
  as $$
begin
  perform 1;
end
$$;
create event trigger fidelity_ddl on ddl_command_end when tag in ('CREATE TABLE', 'ALTER TABLE')
  execute function fidelity.on_ddl();
comment on event trigger fidelity_ddl is 'watches DDL';

reset search_path;
