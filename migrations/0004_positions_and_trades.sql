-- What Precog holds (positions) and every fill that changed it (trades).
-- migrate:up
CREATE TABLE positions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  market_id       bigint NOT NULL REFERENCES markets (id) ON DELETE RESTRICT,
  strategy_id     bigint NOT NULL REFERENCES strategies (id) ON DELETE RESTRICT,
  side            text NOT NULL CHECK (side IN ('yes', 'no')),
  quantity        numeric(20, 4) NOT NULL DEFAULT 0 CHECK (quantity >= 0),
  avg_entry_price numeric(7, 6) CHECK (avg_entry_price BETWEEN 0 AND 1),
  realized_pnl    numeric(20, 4) NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at       timestamptz NOT NULL DEFAULT now(),
  closed_at       timestamptz,
  CONSTRAINT positions_closed_at_matches_status CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CONSTRAINT positions_closed_after_opened CHECK (closed_at IS NULL OR closed_at >= opened_at),
  -- Target of trades' composite foreign key: a trade's market and strategy are its position's.
  CONSTRAINT positions_id_market_strategy_key UNIQUE (id, market_id, strategy_id)
);

-- At most one open position per market, strategy and side.
CREATE UNIQUE INDEX positions_open_key ON positions (market_id, strategy_id, side) WHERE status = 'open';
CREATE INDEX positions_strategy_id_status_idx ON positions (strategy_id, status);

CREATE TABLE trades (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  position_id       bigint NOT NULL,
  market_id         bigint NOT NULL REFERENCES markets (id) ON DELETE RESTRICT,
  strategy_id       bigint NOT NULL REFERENCES strategies (id) ON DELETE RESTRICT,
  model_id          bigint REFERENCES models (id) ON DELETE RESTRICT,
  external_order_id text,
  action            text NOT NULL CHECK (action IN ('buy', 'sell')),
  side              text NOT NULL CHECK (side IN ('yes', 'no')),
  quantity          numeric(20, 4) NOT NULL CHECK (quantity > 0),
  price             numeric(7, 6) NOT NULL CHECK (price BETWEEN 0 AND 1),
  fee               numeric(20, 4) NOT NULL DEFAULT 0 CHECK (fee >= 0),
  executed_at       timestamptz NOT NULL DEFAULT now(),
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT trades_position_fkey FOREIGN KEY (position_id, market_id, strategy_id)
    REFERENCES positions (id, market_id, strategy_id) ON DELETE RESTRICT,
  CONSTRAINT trades_external_order_id_key UNIQUE (external_order_id)
);

CREATE INDEX trades_position_id_idx ON trades (position_id);
CREATE INDEX trades_market_id_executed_at_idx ON trades (market_id, executed_at);
CREATE INDEX trades_strategy_id_executed_at_idx ON trades (strategy_id, executed_at);

-- migrate:down
DROP TABLE trades;
DROP TABLE positions;
