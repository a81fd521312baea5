-- Events, reservations and idempotency answers. Every statement is idempotent on its own too
-- (IF NOT EXISTS), so a half-applied migration can simply be run again.
CREATE TABLE IF NOT EXISTS events (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  event_name VARCHAR(200) NOT NULL,
  total_seats INT UNSIGNED NOT NULL,
  available_seats INT UNSIGNED NOT NULL,
  -- ISO local date-time exactly as the client sent it (echoed back unchanged).
  event_date VARCHAR(32) NOT NULL,
  price DECIMAL(14, 2) NULL,
  venue VARCHAR(200) NULL,
  max_tickets_per_user INT UNSIGNED NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY events_available (available_seats),
  CONSTRAINT events_seats_range CHECK (available_seats <= total_seats)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS reservations (
  id CHAR(36) NOT NULL,
  event_id BIGINT UNSIGNED NOT NULL,
  user_id VARCHAR(100) NOT NULL,
  quantity INT UNSIGNED NOT NULL,
  status ENUM('CONFIRMED', 'CANCELLED') NOT NULL DEFAULT 'CONFIRMED',
  -- The seat-lock hold that admitted this sale: one hold, at most one row (a retried or
  -- duplicated commit of the same hold fails). Hold ids are random, so they stay unique even
  -- after Redis lost its data and restarted its fencing counters; the token is kept for audit.
  hold_id VARCHAR(191) NOT NULL,
  hold_token BIGINT UNSIGNED NOT NULL,
  reservation_time DATETIME(3) NOT NULL,
  cancelled_at DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY reservations_hold (hold_id),
  KEY reservations_user (user_id, reservation_time),
  KEY reservations_event_user (event_id, user_id, status),
  CONSTRAINT reservations_event FOREIGN KEY (event_id) REFERENCES events (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope VARCHAR(16) NOT NULL,
  idem_key VARCHAR(320) NOT NULL,
  request_hash CHAR(64) NOT NULL,
  status ENUM('pending', 'done') NOT NULL,
  status_code SMALLINT UNSIGNED NULL,
  response MEDIUMTEXT NULL,
  -- The fencing token of the current claim: a retry that takes over a stale claim gets a new
  -- one, and the sale's transaction commits only under the claim it holds.
  claim_id CHAR(36) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (scope, idem_key),
  KEY idempotency_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
