-- Idempotency-Key claims of reservations live in Redis (production/redis-idempotency.ts); the
-- answers stay here, written in the sale's transaction. The event of each answer lets a Redis
-- that lost its data be refilled with one event's answers when that event's counter is rebuilt.
-- One ALTER: it applies whole or not at all.
ALTER TABLE idempotency_keys
  ADD COLUMN event_id BIGINT UNSIGNED NULL AFTER idem_key,
  ADD KEY idempotency_event (event_id, status);
