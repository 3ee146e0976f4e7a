CREATE TABLE IF NOT EXISTS submissions (
  id TEXT PRIMARY KEY NOT NULL,
  idempotency_key TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  answers TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
