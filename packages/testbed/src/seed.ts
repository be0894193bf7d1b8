import {
  createDatabaseOn,
  databaseUrl,
  quoteIdent,
  withClient,
} from './databases';
import { log } from './exec';
import { readPassword } from './password';

/**
 * The databases the portal demo shows. Spread over three majors so the demo exercises exact-major clients (18),
 * nearest-newer clients (14 and 16 have none of their own) and cross-major mirrors.
 */
export const DEMO_DATABASES = [
  { major: 14, name: 'inventory' },
  { major: 16, name: 'orders' },
  { major: 18, name: 'billing' },
] as const;

// Bumping the version re-seeds existing testbeds on their next `up --seed demo`.
const MARKER = 'backlot demo seed v1';

// Text from several scripts (and astral-plane emoji), so dumps and restores must keep UTF-8 intact.
const WORDS = `array['Café crème','Zürich Straße','東京タワー','Ελληνικά','naïve façade','Привет мир','עברית','crate 📦🚀','plain ascii','O''Brien "quoted"']`;

const SQL: Record<string, string> = {
  inventory: `
create schema catalog;
create schema stock;
create table catalog."ProductCategories" (
  id int generated always as identity primary key,
  "DisplayName" text not null,
  slug text not null unique
);
insert into catalog."ProductCategories" ("DisplayName", slug)
select (${WORDS})[1 + i % 10] || ' ' || i, 'category-' || i from generate_series(1, 40) i;
create table catalog.products (
  id bigint generated always as identity primary key,
  sku text not null unique,
  name text not null,
  category_id int not null references catalog."ProductCategories"(id),
  price numeric(10,2) not null,
  tags text[] not null default '{}',
  attributes jsonb not null default '{}',
  created_at timestamptz not null
);
insert into catalog.products (sku, name, category_id, price, tags, attributes, created_at)
select 'SKU-' || lpad(i::text, 6, '0'), (${WORDS})[1 + i % 10] || ' #' || i, 1 + i % 40, round((i % 997) * 1.37 + 0.99, 2),
       array['t' || i % 7, 't' || i % 11], jsonb_build_object('weight_g', i % 5000, 'fragile', i % 3 = 0),
       timestamptz '2024-01-01 00:00:00+00' + (i || ' minutes')::interval
from generate_series(1, 5000) i;
create table stock.warehouses (id int primary key, code text not null unique, city text not null);
insert into stock.warehouses values (1, 'BER1', 'Berlin'), (2, 'ZRH1', 'Zürich'), (3, 'TYO1', '東京'), (4, 'SAO1', 'São Paulo');
create table stock.levels (
  product_id bigint not null references catalog.products(id),
  warehouse_id int not null references stock.warehouses(id),
  quantity int not null,
  updated_at timestamptz not null,
  primary key (product_id, warehouse_id)
);
insert into stock.levels
select p, w, (p * 31 + w * 17) % 250, timestamptz '2024-06-01 00:00:00+00' + (p || ' seconds')::interval
from generate_series(1, 5000) p, generate_series(1, 4) w;
create index levels_low_idx on stock.levels (quantity) where quantity < 20;
create view stock.low_stock as
  select p.sku, w.code, l.quantity from stock.levels l
  join catalog.products p on p.id = l.product_id join stock.warehouses w on w.id = l.warehouse_id
  where l.quantity < 20;
`,
  orders: `
create schema sales;
create schema shipping;
create table sales.customers (
  id bigint generated always as identity primary key,
  email text not null unique,
  display_name text not null,
  country char(2) not null
);
insert into sales.customers (email, display_name, country)
select 'customer' || i || '@example.test', (${WORDS})[1 + i % 10] || ' ' || i, (array['DE','CH','JP','BR','US'])[1 + i % 5]
from generate_series(1, 3000) i;
create type sales.order_status as enum ('new', 'paid', 'shipped', 'cancelled');
create table sales.orders (
  id bigint generated always as identity primary key,
  customer_id bigint not null references sales.customers(id),
  status sales.order_status not null,
  placed_at timestamptz not null,
  note text
);
insert into sales.orders (customer_id, status, placed_at, note)
select 1 + i % 3000, (array['new','paid','shipped','cancelled']::sales.order_status[])[1 + i % 4],
       timestamptz '2024-01-01 00:00:00+00' + (i * 7 || ' minutes')::interval,
       case when i % 5 = 0 then (${WORDS})[1 + i % 10] end
from generate_series(1, 10000) i;
create index orders_customer_placed_idx on sales.orders (customer_id, placed_at desc);
create table sales."OrderLines" (
  order_id bigint not null references sales.orders(id),
  "LineNo" int not null,
  sku text not null,
  quantity int not null,
  unit_price numeric(10,2) not null,
  primary key (order_id, "LineNo")
);
insert into sales."OrderLines"
select o, l, 'SKU-' || lpad(((o * 13 + l) % 5000 + 1)::text, 6, '0'), 1 + (o + l) % 9, round(((o * l) % 500) * 0.99 + 1, 2)
from generate_series(1, 10000) o, generate_series(1, 3) l;
create table shipping.shipments (
  id bigint generated always as identity primary key,
  order_id bigint not null references sales.orders(id),
  carrier text not null,
  tracking text,
  shipped_at timestamptz not null
);
insert into shipping.shipments (order_id, carrier, tracking, shipped_at)
select i, (array['DHL','Swiss Post','ヤマト運輸','Correios'])[1 + i % 4], md5(i::text),
       timestamptz '2024-01-02 00:00:00+00' + (i * 7 || ' minutes')::interval
from generate_series(1, 10000, 4) i;
`,
  billing: `
create schema accounts;
create schema ledger;
create table accounts."BillingPlans" (
  code text primary key,
  "MonthlyFee" numeric(10,2) not null,
  description text not null
);
insert into accounts."BillingPlans" values
  ('free', 0, 'Gratis — für immer'), ('team', 49, 'Team plan 👥'), ('enterprise', 990, 'エンタープライズ');
create table accounts.customers (
  id bigint generated always as identity primary key,
  name text not null,
  plan text not null references accounts."BillingPlans"(code),
  vat_id text,
  created_at timestamptz not null
);
insert into accounts.customers (name, plan, vat_id, created_at)
select (${WORDS})[1 + i % 10] || ' GmbH ' || i, (array['free','team','enterprise'])[1 + i % 3],
       case when i % 2 = 0 then 'DE' || lpad(i::text, 9, '0') end,
       timestamptz '2023-01-01 00:00:00+00' + (i || ' hours')::interval
from generate_series(1, 2000) i;
create table ledger.invoices (
  id bigint generated always as identity primary key,
  customer_id bigint not null references accounts.customers(id),
  issued_on date not null,
  currency char(3) not null,
  total numeric(12,2) not null default 0
);
insert into ledger.invoices (customer_id, issued_on, currency)
select 1 + i % 2000, date '2024-01-01' + (i % 365), (array['EUR','CHF','JPY','USD'])[1 + i % 4]
from generate_series(1, 8000) i;
create index invoices_customer_issued_idx on ledger.invoices (customer_id, issued_on);
create table ledger."InvoiceItems" (
  invoice_id bigint not null references ledger.invoices(id),
  position int not null,
  label text not null,
  amount numeric(12,2) not null,
  primary key (invoice_id, position)
);
insert into ledger."InvoiceItems"
select inv, pos, (${WORDS})[1 + (inv + pos) % 10], round(((inv * 7 + pos * 3) % 1000) * 1.11, 2)
from generate_series(1, 8000) inv, generate_series(1, 3) pos;
update ledger.invoices i set total = s.sum from
  (select invoice_id, sum(amount) from ledger."InvoiceItems" group by invoice_id) s where s.invoice_id = i.id;
create table ledger.payments (
  id bigint generated always as identity primary key,
  invoice_id bigint not null references ledger.invoices(id),
  paid_at timestamptz not null,
  amount numeric(12,2) not null,
  payload bytea
);
insert into ledger.payments (invoice_id, paid_at, amount, payload)
select i.id, i.issued_on + interval '14 days', i.total, decode(md5(i.id::text), 'hex')
from ledger.invoices i where i.id % 3 <> 0;
`,
};

async function isSeeded(major: number, name: string): Promise<boolean> {
  return withClient(major, 'postgres', async c => {
    const res = await c.query(
      `select shobj_description(oid, 'pg_database') as d from pg_database where datname = $1`,
      [name],
    );
    return res.rows[0]?.d === MARKER;
  });
}

export async function isDemoSeeded(): Promise<boolean> {
  try {
    for (const db of DEMO_DATABASES)
      if (!(await isSeeded(db.major, db.name))) return false;
    return true;
  } catch {
    return false;
  }
}

export function demoUrls(password = readPassword()): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const db of DEMO_DATABASES)
    urls[db.name] = databaseUrl(db.major, db.name, password);
  return urls;
}

/**
 * Creates the demo databases that are not there yet. The database comment is written last and is the marker,
 * so a seed interrupted half-way is redone from scratch on the next call.
 */
export async function ensureDemoSeed(): Promise<void> {
  for (const db of DEMO_DATABASES) {
    if (await isSeeded(db.major, db.name)) continue;
    log(`PG${db.major}: seeding demo database ${db.name}`);
    await createDatabaseOn(db.major, db.name);
    await withClient(db.major, db.name, async c => {
      await c.query('begin');
      await c.query(SQL[db.name]);
      await c.query('commit');
      await c.query('analyze');
    });
    await withClient(db.major, 'postgres', c =>
      c.query(`comment on database ${quoteIdent(db.name)} is '${MARKER}'`),
    );
  }
}
