-- Reserved seating: seat maps, sold seats, and seat-lock's fencing table. Idempotent statements
-- (IF NOT EXISTS), like 0001.
CREATE TABLE IF NOT EXISTS seat_maps (
  event_id BIGINT UNSIGNED NOT NULL,
  -- The normalized layout (sections -> rows -> seats) as JSON; immutable once the event exists.
  layout MEDIUMTEXT NOT NULL,
  PRIMARY KEY (event_id),
  CONSTRAINT seat_maps_event FOREIGN KEY (event_id) REFERENCES events (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per sold seat: the primary key makes "no seat sold twice" (I2) a database fact,
-- whatever Redis says. A cancellation deletes its rows in the same transaction as the status.
CREATE TABLE IF NOT EXISTS seat_sales (
  event_id BIGINT UNSIGNED NOT NULL,
  seat VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  reservation_id CHAR(36) NOT NULL,
  PRIMARY KEY (event_id, seat),
  KEY seat_sales_reservation (reservation_id),
  CONSTRAINT seat_sales_event FOREIGN KEY (event_id) REFERENCES events (id),
  CONSTRAINT seat_sales_reservation FOREIGN KEY (reservation_id) REFERENCES reservations (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- @ticketing/seat-lock's FENCING_TABLE_SQL: one row per seat (`event:<id>:seat:<seat>`) holding
-- the newest hold token a commit used; an older token's commit is refused.
CREATE TABLE IF NOT EXISTS fencing_tokens (
  resource VARCHAR(191) NOT NULL PRIMARY KEY,
  token BIGINT NOT NULL,
  writes BIGINT NOT NULL DEFAULT 0
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
