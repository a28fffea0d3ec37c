import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** The statement for `sql`, prepared on its first use and kept in `cache` for as long as `db` is open. */
export function preparedStatement(db: DatabaseSync, cache: Map<string, StatementSync>, sql: string): StatementSync {
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}
