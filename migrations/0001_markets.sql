-- Markets Precog trades, one row per market on a venue. Prices are probabilities in [0, 1].
-- migrate:up
CREATE TABLE markets (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  venue            text NOT NULL CHECK (venue ~ '^[a-z][a-z0-9_]*$'),
  external_id      text NOT NULL CHECK (external_id <> ''),
  title            text NOT NULL,
  category         text,
  status           text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'closed', 'settled', 'cancelled')),
  yes_price        numeric(7, 6) CHECK (yes_price BETWEEN 0 AND 1),
  no_price         numeric(7, 6) CHECK (no_price BETWEEN 0 AND 1),
  volume           numeric(20, 2) NOT NULL DEFAULT 0 CHECK (volume >= 0),
  open_time        timestamptz,
  close_time       timestamptz,
  settled_at       timestamptz,
  settlement_value numeric(7, 6) CHECK (settlement_value BETWEEN 0 AND 1),
  metadata         jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT markets_venue_external_id_key UNIQUE (venue, external_id),
  CONSTRAINT markets_close_after_open CHECK (close_time IS NULL OR open_time IS NULL OR close_time >= open_time),
  CONSTRAINT markets_settled_has_value CHECK (status <> 'settled' OR (settled_at IS NOT NULL AND settlement_value IS NOT NULL))
);

-- The scanner's query: open markets closing soonest.
CREATE INDEX markets_status_close_time_idx ON markets (status, close_time);

-- migrate:down
DROP TABLE markets;
