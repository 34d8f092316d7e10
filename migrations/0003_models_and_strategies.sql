-- Forecasting models and the trading strategies that use them, both versioned: a new version is
-- a new row, so trades keep pointing at exactly what produced them.
-- migrate:up
CREATE TABLE models (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name         text NOT NULL,
  version      integer NOT NULL CHECK (version >= 1),
  model_type   text NOT NULL,
  artifact_uri text,
  parameters   jsonb NOT NULL DEFAULT '{}'::jsonb,
  metrics      jsonb NOT NULL DEFAULT '{}'::jsonb,
  status       text NOT NULL DEFAULT 'training'
               CHECK (status IN ('training', 'validated', 'active', 'retired')),
  trained_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT models_name_version_key UNIQUE (name, version)
);

CREATE TABLE strategies (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text NOT NULL,
  version     integer NOT NULL CHECK (version >= 1),
  description text,
  model_id    bigint REFERENCES models (id) ON DELETE RESTRICT,
  config      jsonb NOT NULL DEFAULT '{}'::jsonb,
  status      text NOT NULL DEFAULT 'draft'
              CHECK (status IN ('draft', 'active', 'paused', 'retired')),
  max_position_size numeric(20, 4) CHECK (max_position_size > 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT strategies_name_version_key UNIQUE (name, version)
);

-- Foreign keys are not indexed automatically; deleting a model checks this one.
CREATE INDEX strategies_model_id_idx ON strategies (model_id);

-- migrate:down
DROP TABLE strategies;
DROP TABLE models;
