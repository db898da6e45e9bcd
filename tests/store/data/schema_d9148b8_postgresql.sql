-- The gateway's schema as release d9148b8 created it on postgresql (metadata.create_all),
-- before versioned migrations: tests/store/test_store_migration.py starts from it.

CREATE TABLE appeal_texts (
	record_id VARCHAR(66) NOT NULL,
	part VARCHAR(16) NOT NULL,
	evidence_id VARCHAR(32) NOT NULL,
	author VARCHAR(42) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (record_id, part)
);

CREATE TABLE auth_nonces (
	nonce VARCHAR(64) NOT NULL,
	issued_at FLOAT NOT NULL,
	expires_at FLOAT NOT NULL,
	used_at FLOAT,
	used_by VARCHAR(42),
	PRIMARY KEY (nonce)
);

CREATE INDEX ix_auth_nonces_expires_at ON auth_nonces (expires_at);

CREATE TABLE auth_sessions (
	token_hash VARCHAR(64) NOT NULL,
	address VARCHAR(42) NOT NULL,
	created_at FLOAT NOT NULL,
	expires_at FLOAT NOT NULL,
	PRIMARY KEY (token_hash)
);

CREATE INDEX ix_auth_sessions_address ON auth_sessions (address);

CREATE INDEX ix_auth_sessions_expires_at ON auth_sessions (expires_at);

CREATE TABLE evidence (
	id VARCHAR(32) NOT NULL,
	owner VARCHAR(42) NOT NULL,
	commitment VARCHAR(66) NOT NULL,
	salt BYTEA,
	media_type VARCHAR(100) NOT NULL,
	size INTEGER NOT NULL,
	sha256 VARCHAR(64),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	erased_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	UNIQUE (commitment)
);

CREATE INDEX ix_evidence_owner ON evidence (owner);

CREATE TABLE evidence_access (
	id SERIAL NOT NULL,
	evidence_id VARCHAR(32) NOT NULL,
	owner VARCHAR(42) NOT NULL,
	reader VARCHAR(42) NOT NULL,
	capacity VARCHAR(20) NOT NULL,
	record_id VARCHAR(66),
	purpose VARCHAR(40) NOT NULL,
	what VARCHAR(10) NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id)
);

CREATE INDEX ix_evidence_access_evidence_id ON evidence_access (evidence_id);

CREATE INDEX ix_evidence_access_owner ON evidence_access (owner);

CREATE TABLE evidence_usage (
	id INTEGER NOT NULL,
	live_items BIGINT NOT NULL,
	live_bytes BIGINT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE index_blocks (
	number BIGINT NOT NULL,
	hash VARCHAR(66) NOT NULL,
	parent_hash VARCHAR(66) NOT NULL,
	timestamp BIGINT NOT NULL,
	PRIMARY KEY (number)
);

CREATE TABLE index_cursor (
	id INTEGER NOT NULL,
	ledger VARCHAR(42) NOT NULL,
	block_number BIGINT NOT NULL,
	block_hash VARCHAR(66),
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE index_events (
	block_hash VARCHAR(66) NOT NULL,
	log_index INTEGER NOT NULL,
	block_number BIGINT NOT NULL,
	block_time BIGINT NOT NULL,
	tx_hash VARCHAR(66) NOT NULL,
	address VARCHAR(42) NOT NULL,
	name VARCHAR(64) NOT NULL,
	resident VARCHAR(42),
	record_id VARCHAR(66),
	args TEXT NOT NULL,
	indexed_at FLOAT NOT NULL,
	PRIMARY KEY (block_hash, log_index)
);

CREATE INDEX ix_index_events_block ON index_events (block_number, log_index);

CREATE INDEX ix_index_events_name ON index_events (name, block_number);

CREATE INDEX ix_index_events_record_id ON index_events (record_id);

CREATE INDEX ix_index_events_resident ON index_events (resident, block_number, log_index);

CREATE TABLE notice_acks (
	resident VARCHAR(42) NOT NULL,
	notice_id VARCHAR(66) NOT NULL,
	acked_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (resident, notice_id)
);

CREATE TABLE relay_lock (
	id INTEGER NOT NULL,
	writes BIGINT NOT NULL,
	PRIMARY KEY (id)
);

CREATE TABLE relay_outbox (
	id SERIAL NOT NULL,
	signer VARCHAR(42) NOT NULL,
	nonce BIGINT NOT NULL,
	raw_tx BYTEA NOT NULL,
	tx_hash VARCHAR(66) NOT NULL,
	status VARCHAR(16) NOT NULL,
	attempts INTEGER NOT NULL,
	error TEXT,
	block BIGINT,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT ux_relay_outbox_signer_nonce UNIQUE (signer, nonce),
	UNIQUE (tx_hash)
);

CREATE INDEX ix_relay_outbox_status ON relay_outbox (signer, status);

CREATE TABLE reward_runs (
	id SERIAL NOT NULL,
	idempotency_key VARCHAR(200) NOT NULL,
	body_hash VARCHAR(64) NOT NULL,
	epoch INTEGER NOT NULL,
	status VARCHAR(16) NOT NULL,
	total INTEGER NOT NULL,
	paid INTEGER NOT NULL,
	error TEXT,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (idempotency_key)
);

CREATE TABLE relay_claims (
	record_id VARCHAR(66) NOT NULL,
	seq INTEGER NOT NULL,
	resident VARCHAR(42) NOT NULL,
	category INTEGER NOT NULL,
	units INTEGER NOT NULL,
	occurred_at BIGINT NOT NULL,
	evidence VARCHAR(66) NOT NULL,
	nonce BIGINT NOT NULL,
	deadline BIGINT NOT NULL,
	r VARCHAR(66) NOT NULL,
	vs VARCHAR(66) NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason TEXT,
	outbox_id INTEGER,
	tx_hash VARCHAR(66),
	block BIGINT,
	points BIGINT,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	voided BIGINT DEFAULT 0 NOT NULL,
	reporter VARCHAR(42),
	PRIMARY KEY (record_id),
	FOREIGN KEY(outbox_id) REFERENCES relay_outbox (id)
);

CREATE INDEX ix_relay_claims_seq ON relay_claims (seq);

CREATE INDEX ix_relay_claims_status_seq ON relay_claims (status, seq);

CREATE UNIQUE INDEX ux_relay_claims_nonce ON relay_claims (resident, nonce, voided);

CREATE TABLE relay_endorsements (
	id SERIAL NOT NULL,
	digest VARCHAR(66) NOT NULL,
	evaluator VARCHAR(42) NOT NULL,
	kind INTEGER NOT NULL,
	deadline BIGINT NOT NULL,
	r VARCHAR(66) NOT NULL,
	vs VARCHAR(66) NOT NULL,
	status VARCHAR(16) NOT NULL,
	reason TEXT,
	outbox_id INTEGER,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	FOREIGN KEY(outbox_id) REFERENCES relay_outbox (id)
);

CREATE INDEX ix_relay_endorsements_evaluator ON relay_endorsements (evaluator);

CREATE INDEX ix_relay_endorsements_status ON relay_endorsements (status);

CREATE UNIQUE INDEX ux_relay_endorsements_evaluator_digest ON relay_endorsements (evaluator, digest);

CREATE TABLE reward_txs (
	id SERIAL NOT NULL,
	run_id INTEGER NOT NULL,
	signer VARCHAR(42) NOT NULL,
	nonce INTEGER NOT NULL,
	raw_tx BYTEA NOT NULL,
	tx_hash VARCHAR(66) NOT NULL,
	residents TEXT NOT NULL,
	status VARCHAR(16) NOT NULL,
	minted TEXT,
	created_at FLOAT NOT NULL,
	updated_at FLOAT NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (signer, nonce),
	FOREIGN KEY(run_id) REFERENCES reward_runs (id)
);

CREATE INDEX ix_reward_txs_run_id ON reward_txs (run_id);

CREATE TABLE relay_endorsement_records (
	endorsement_id INTEGER NOT NULL,
	position INTEGER NOT NULL,
	record_id VARCHAR(66) NOT NULL,
	PRIMARY KEY (endorsement_id, position),
	FOREIGN KEY(endorsement_id) REFERENCES relay_endorsements (id),
	FOREIGN KEY(record_id) REFERENCES relay_claims (record_id)
);

CREATE INDEX ix_relay_endorsement_records_record ON relay_endorsement_records (record_id);

CREATE TABLE relay_rejections (
	record_id VARCHAR(66) NOT NULL,
	resident VARCHAR(42) NOT NULL,
	evaluator VARCHAR(42) NOT NULL,
	kind INTEGER NOT NULL,
	reason VARCHAR(32) NOT NULL,
	note TEXT NOT NULL,
	note_hash VARCHAR(66) NOT NULL,
	r VARCHAR(66) NOT NULL,
	vs VARCHAR(66) NOT NULL,
	at BIGINT NOT NULL,
	created_at FLOAT NOT NULL,
	PRIMARY KEY (record_id),
	FOREIGN KEY(record_id) REFERENCES relay_claims (record_id)
);

CREATE INDEX ix_relay_rejections_at ON relay_rejections (at);

CREATE INDEX ix_relay_rejections_resident ON relay_rejections (resident);
