-- An event's waiting room (src/queue): its settings as set at creation, JSON, NULL for an
-- unqueued event. The queue itself (tickets, turns) lives in Redis (@ticketing/waiting-room);
-- this column lets any instance re-open it after Redis lost it. One ALTER: whole or not at all.
ALTER TABLE events ADD COLUMN IF NOT EXISTS queue_config JSON NULL;
