-- Price and volume snapshots per market: the time series models train on.
-- migrate:up
CREATE TABLE market_history (
  market_id     bigint NOT NULL REFERENCES markets (id) ON DELETE CASCADE,
  recorded_at   timestamptz NOT NULL,
  yes_price     numeric(7, 6) NOT NULL CHECK (yes_price BETWEEN 0 AND 1),
  no_price      numeric(7, 6) CHECK (no_price BETWEEN 0 AND 1),
  volume        numeric(20, 2) CHECK (volume >= 0),
  open_interest numeric(20, 2) CHECK (open_interest >= 0),
  -- The primary key is the index every history query needs: one market, a time range.
  CONSTRAINT market_history_pkey PRIMARY KEY (market_id, recorded_at)
);

-- migrate:down
DROP TABLE market_history;
