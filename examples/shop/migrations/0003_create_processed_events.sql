-- shop-consumer records what each order event did, once per event id.
CREATE TABLE order_events (
  event_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  processed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX idx_order_events_order ON order_events (order_id);
