/**
 * The seed's two JPA entities as MySQL tables (Hibernate's naming: snake_case columns).
 * `client_key` is not in the seed: it records the Idempotency-Key header the load generator
 * sends, only so that the post-run audit can count duplicate sales per key. The seed ignores
 * it (it has no idempotency), exactly as the Spring service would.
 */
export const SEED_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS events (
    event_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    event_name VARCHAR(200) NOT NULL,
    total_seats INT NOT NULL,
    available_seats INT NOT NULL,
    event_date DATETIME NOT NULL,
    created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS reservations (
    reservation_id CHAR(36) PRIMARY KEY,
    event_id BIGINT NOT NULL,
    user_id VARCHAR(100) NOT NULL,
    quantity INT NOT NULL,
    reservation_time DATETIME(6) NOT NULL,
    client_key VARCHAR(100) NULL,
    KEY idx_event (event_id),
    KEY idx_user (user_id)
  ) ENGINE=InnoDB`,
]
